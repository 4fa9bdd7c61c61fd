"""``docink serve`` with 2 worker processes: /metrics on any worker sums over both; the log is
JSON lines carrying request and event ids, never a secret or a token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bridge.metrics import MULTIPROC_DIR_ENV
from bridge.settings import Settings
from tests import SECRET
from tests.bridge.serving import served_bridge
from tests.cluster import consume
from tests.conftest import load_fixture

pytestmark = pytest.mark.integration

WORKERS = 2
ROUND = 16  # webhooks per round, 8 at a time, until both workers have published some
MAX_ROUNDS = 10
SCRAPES = 8


@dataclass(frozen=True)
class Served:
    base: str
    log: Path


def _get(url: str, headers: dict[str, str] | None = None, body: bytes | None = None):
    request = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers


@pytest.fixture
def served(live_settings: Settings, tmp_path: Path) -> Iterator[Served]:
    log = tmp_path / "serve.log"
    env = {
        MULTIPROC_DIR_ENV: None,  # docink serve makes a fresh one
        "DOCINK_RATE_LIMIT_GLOBAL": "off",
        "DOCINK_RATE_LIMIT_PER_ORG": "off",
        "DOCINK_LOG_LEVEL": "DEBUG",  # a "published" line per event tells which worker took it
    }
    with served_bridge(live_settings, log, workers=WORKERS, threads=8, env=env) as base:
        yield Served(base, log)


def _log_lines(log: Path) -> list[dict]:
    lines = log.read_text().splitlines()
    parsed = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(parsed) == len(lines), f"lines that are not JSON:\n{log.read_text()}"
    return parsed


def _published_by(log: Path) -> dict[int, int]:
    """Worker process id -> webhooks it published, from the log."""
    counts: dict[int, int] = {}
    for line in _log_lines(log):
        if line["message"].startswith("published "):
            counts[line["process"]] = counts.get(line["process"], 0) + 1
    return counts


def _requests_total(text: str, event_type: str, status: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "docink_bridge_webhook_requests"
        for sample in family.samples
        if sample.name.endswith("_total")
        and sample.labels == {"event_type": event_type, "status": status}
    )


def test_metrics_sum_over_workers_and_logs_are_json(served: Served, live_settings: Settings):
    body = json.dumps(load_fixture("bot-installation")).encode()

    def post(number: int) -> int:
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {SECRET}",
            "X-Request-Id": f"req-{number}",
            "webhook-id": f"evt-{number}",
        }
        return _get(f"{served.base}/webhooks/docink", headers, body)[0]

    sent = 0
    with ThreadPoolExecutor(8) as pool:
        for _ in range(MAX_ROUNDS):
            statuses = list(pool.map(post, range(sent, sent + ROUND)))
            assert statuses == [202] * ROUND
            sent += ROUND
            if len(_published_by(served.log)) == WORKERS:
                break
    by_worker = _published_by(served.log)
    assert len(by_worker) == WORKERS, f"one worker took all {sent} webhooks: {by_worker}"
    assert sum(by_worker.values()) == sent and max(by_worker.values()) < sent

    for _ in range(SCRAPES):  # a new connection each: either worker answers, always the sum
        status, text, _headers = _get(f"{served.base}/metrics")
        assert status == 200
        assert _requests_total(text, "bot-installation", "202") == sent
        assert f'docink_bridge_publish_seconds_count{{topic="{live_settings.topic_prefix}.' in text
        assert SECRET not in text

    lines = _log_lines(served.log)
    published = [line for line in lines if line["message"].startswith("published ")]
    assert {(line["request_id"], line["event_id"]) for line in published} == {
        (f"req-{number}", f"evt-{number}") for number in range(sent)
    }
    assert all({"timestamp", "level", "logger", "process"} <= line.keys() for line in lines)
    assert any(line["logger"] == "_granian" for line in lines)  # granian's own lines too
    served_log = served.log.read_text()
    assert SECRET not in served_log
    assert load_fixture("bot-installation")["payload"]["token"] not in served_log
    topic = f"{live_settings.topic_prefix}.bot-installation"
    assert len(consume(live_settings, topic, sent, settle=1.0)) == sent
