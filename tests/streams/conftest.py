"""A stream worker as deployed: `python -m streams` in a process of its own, on the real cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bridge.settings import Settings
from devstack.ports import free_port

WORKER_READY_SECONDS = 90


@dataclass
class Worker:
    """A worker subprocess that tests can kill and start again."""

    settings: Settings
    web_port: int
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        env = {
            **os.environ,
            "DOCINK_BOOTSTRAP_SERVERS": self.settings.bootstrap_servers,
            "DOCINK_SCHEMA_REGISTRY_URL": self.settings.schema_registry_url,
            "DOCINK_TOPIC_PREFIX": self.settings.topic_prefix,
            "DOCINK_TOPIC_PARTITIONS": str(self.settings.topic_partitions),
            "DOCINK_STREAMS_WEB_PORT": str(self.web_port),
            "DOCINK_STREAMS_DATA_DIR": str(self.data_dir),
            "DOCINK_STREAMS_SESSION_TIMEOUT_SECONDS": "6",
        }
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streams"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while self.get("/metrics") is None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{self.log_tail()}")
            time.sleep(0.3)
        return self

    def kill(self) -> None:
        """``kill -9``: no shutdown, no final commit."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def get(self, path: str) -> dict | str | None:
        """GET from the worker's web server; None while it does not answer."""
        url = f"http://127.0.0.1:{self.web_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                body = response.read().decode()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None
        return json.loads(body) if body.startswith("{") else body

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture
def worker(live_settings: Settings, tmp_path: Path) -> Iterator[Worker]:
    """A started worker for this test's topic prefix; its log is printed when a test fails."""
    running = Worker(live_settings, free_port(), tmp_path / "data", tmp_path / "worker.log")
    try:
        yield running.start()
    finally:
        running.stop()
        print(running.log_tail())  # shown by pytest only for failed tests
