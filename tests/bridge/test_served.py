"""The bridge as deployed: ``docink serve`` (granian, WSGI) answering over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bridge.settings import Settings
from devstack import free_port
from tests import SECRET
from tests.cluster import consume
from tests.conftest import load_fixture

pytestmark = pytest.mark.integration


def _environment(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "DOCINK_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "DOCINK_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
        "DOCINK_SHARED_SECRET": SECRET,
        "DOCINK_TOPIC_PREFIX": settings.topic_prefix,
    }


def _request(url: str, body: bytes | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 (loopback test server)
        url, data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_docink_serve_publishes_over_http(live_settings, tmp_path: Path):
    port = free_port()
    docink = Path(sys.executable).with_name("docink")
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(docink), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=_environment(live_settings),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _request(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        body = json.dumps(load_fixture("bot-installation")).encode()
        status, answer = _request(f"{base}/webhooks/docink/{SECRET}", body)
        assert status == 202, answer
        assert _request(f"{base}/webhooks/docink/not-the-secret", body)[0] == 401
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()

    [record] = consume(live_settings, f"{live_settings.topic_prefix}.bot-installation", 1)
    assert record.value["event_id"] == answer["event_id"]
    served_log = (tmp_path / "serve.log").read_text()
    assert SECRET not in served_log
    assert load_fixture("bot-installation")["payload"]["token"] not in served_log
