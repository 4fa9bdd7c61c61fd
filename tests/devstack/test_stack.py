"""The README's run command: the whole stack starts, a webhook goes through the bridge and the
stream worker, and everything stops cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from bridge.settings import Settings
from devstack.ports import free_port, port_open
from tests.cluster import consume
from tests.conftest import load_fixture

pytestmark = pytest.mark.integration
READY_LINE = "Ctrl-C stops everything."


def test_stack_serves_a_webhook_end_to_end_and_stops_cleanly(tmp_path: Path):
    port = free_port()
    stack = subprocess.Popen(
        [sys.executable, "-m", "devstack", "--port", str(port)],
        env={**os.environ, "DOCINK_STREAMS_WEB_PORT": str(free_port())},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        for line in stack.stdout:
            lines.append(line)
            if READY_LINE in line:
                break
        banner = "".join(lines)
        assert READY_LINE in banner, banner
        # Keep reading: the children log to this pipe, and a full pipe would stall them.
        drain = threading.Thread(target=lambda: lines.extend(stack.stdout), daemon=True)
        drain.start()
        url = re.search(r"(http://127\.0\.0\.1:\d+/webhooks/docink/\S+)", banner).group(1)
        kafka = re.search(r"^Kafka\s+(\S+)", banner, re.M).group(1)
        registry = re.search(r"^Schema Registry\s+(\S+)", banner, re.M).group(1)

        body = json.dumps(load_fixture("device_order_created")).encode()
        request = urllib.request.Request(  # noqa: S310 (loopback)
            url, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            assert response.status == 202
            event_id = json.loads(response.read())["event_id"]
        settings = Settings(bootstrap_servers=kafka, schema_registry_url=registry)
        [record] = consume(settings, "docink.device-order-created", 1)
        assert record.value["event_id"] == event_id
        enriched = consume(settings, "docink.events.enriched", 1, timeout=60)
        assert [e.value["event_id"] for e in enriched] == [event_id], "".join(lines[-60:])
    finally:
        stack.send_signal(signal.SIGINT)
        stack.wait(timeout=60)

    assert stack.returncode == 0
    kafka_port = int(kafka.rsplit(":", 1)[1])
    assert not port_open(port) and not port_open(kafka_port)
