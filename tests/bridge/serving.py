"""The real bridge under ``docink serve`` (granian) in a child process, for integration tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from bridge.settings import Settings
from devstack import free_port
from tests import SECRET


@contextmanager
def served_bridge(
    settings: Settings,
    log: Path,
    workers: int = 1,
    threads: int | None = None,
    env: Mapping[str, str | None] | None = None,
) -> Iterator[str]:
    """``docink serve`` for ``settings``' cluster and topic prefix, with the test secret;
    yields its base URL once ``/healthz`` answers, and stops it with SIGTERM. ``env`` adds
    variables (``None`` removes one)."""
    port = free_port()
    environment = {
        **os.environ,
        "DOCINK_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "DOCINK_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
        "DOCINK_SHARED_SECRET": SECRET,
        "DOCINK_TOPIC_PREFIX": settings.topic_prefix,
    }
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    docink = Path(sys.executable).with_name("docink")
    command = [str(docink), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    if threads is not None:
        command += ["--threads", str(threads)]
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        server = subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_until_healthy(f"{base}/healthz", server)
            yield base
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (loopback test server)
                return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.2)
