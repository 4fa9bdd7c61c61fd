"""The bridge as deployed: ``docink serve`` (granian, WSGI) answering over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests import SECRET
from tests.bridge.serving import served_bridge
from tests.cluster import consume
from tests.conftest import load_fixture

pytestmark = pytest.mark.integration


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
    log = tmp_path / "serve.log"
    with served_bridge(live_settings, log) as base:
        body = json.dumps(load_fixture("bot-installation")).encode()
        status, answer = _request(f"{base}/webhooks/docink/{SECRET}", body)
        assert status == 202, answer
        assert _request(f"{base}/webhooks/docink/not-the-secret", body)[0] == 401

    [record] = consume(live_settings, f"{live_settings.topic_prefix}.bot-installation", 1)
    assert record.value["event_id"] == answer["event_id"]
    assert SECRET not in log.read_text()
