"""``docink replay`` of 1,000 webhooks into the real bridge (``docink serve``) and Kafka: each
arrives once, and a second replay is all duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.routing import canonical_envelope, event_id
from tests import SECRET
from tests.bridge.serving import served_bridge
from tests.cluster import consume
from tests.conftest import load_fixture

pytestmark = pytest.mark.integration

COUNT = 1000


def _device_orders(count: int) -> list[dict]:
    """``count`` distinct device-order webhooks of one organization, as a backfill has."""
    template = load_fixture("device_order_created")
    return [
        {**template, "payload": {**template["payload"], "uuid": 7_000_000 + n}}
        for n in range(count)
    ]


def test_replay_of_a_thousand_webhooks_arrives_once(live_settings, tmp_path: Path):
    bodies = _device_orders(COUNT)
    hooks = tmp_path / "backfill.jsonl"
    hooks.write_text("".join(json.dumps(body) + "\n" for body in bodies), encoding="utf-8")
    topic = f"{live_settings.topic_prefix}.device-order-created"
    replay = ["replay", str(hooks), "--concurrency", "8"]
    env = {"DOCINK_SHARED_SECRET": SECRET}

    with served_bridge(live_settings, tmp_path / "serve.log") as base:
        url = ["--url", f"{base}/webhooks/docink"]
        first = CliRunner().invoke(main, [*replay, *url], env=env)
        assert first.exit_code == 0, first.output
        assert f"accepted         {COUNT}" in first.stdout, first.stdout
        records = consume(live_settings, topic, COUNT, timeout=60, settle=2)

        second = CliRunner().invoke(main, [*replay, *url], env=env)
        assert second.exit_code == 0, second.output
        assert f"duplicate        {COUNT}" in second.stdout, second.stdout
        assert "accepted            0" in second.stdout

    expected = {event_id(canonical_envelope(body)) for body in bodies}
    ids = [record.value["event_id"] for record in records]
    assert len(ids) == COUNT and set(ids) == expected
    again = consume(live_settings, topic, COUNT, timeout=60, settle=2)
    assert len(again) == COUNT  # the second replay added nothing
    assert SECRET not in (tmp_path / "serve.log").read_text()
