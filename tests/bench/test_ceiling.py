"""The ceilings: hello world, and hello world that waits as the bridge waits for Kafka."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import bench.ceiling
from bench.ceiling import WAIT_SECONDS, app, waiting_app
from bench.http import HttpPlan, _closed_summary

BODY = {"event_name": "task_created", "org_uuid": 1}


def test_hello_world_never_waits(monkeypatch):
    def no_waiting() -> None:
        raise AssertionError("the hello world waited")

    monkeypatch.setattr(bench.ceiling, "completer", no_waiting)
    response = app.test_client().post("/webhooks/docink", json=BODY)
    assert response.status_code == 202 and response.json["fields"] == 2


def test_waiting_app_answers_after_its_wait_even_with_many_waiting():
    client = waiting_app.test_client()

    def post(_: int) -> tuple[int, float]:
        started = time.monotonic()
        status = client.post("/webhooks/docink", json=BODY).status_code
        return status, time.monotonic() - started

    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(post, range(200)))
    assert {status for status, _ in answers} == {202}
    assert min(waited for _, waited in answers) >= WAIT_SECONDS


def _run(ok_per_second: float) -> dict:
    return {
        "ok_per_second": ok_per_second, "p50_ms": 1.0, "p99_ms": 2.0, "non2xx": 0,
        "non2xx_by_status": {}, "socket_errors": 0, "cpu_ms_per_answer": {"x": 0.1},
    }  # fmt: skip


def test_summary_ratios_against_both_ceilings():
    plan = HttpPlan((8, 32), 1, 2, 1, (), 1, 1)
    rounds = [
        {
            "bridge": {8: _run(100), 32: _run(200)},
            "ceiling": {8: _run(1000), 32: _run(800)},
            "waiting": {8: _run(300), 32: _run(500)},
        },
        {
            "bridge": {8: _run(100), 32: _run(300)},
            "ceiling": {8: _run(1000), 32: _run(1000)},
            "waiting": {8: _run(300), 32: _run(600)},
        },
    ]
    summary = _closed_summary(plan, rounds)
    assert summary["peak_ratio_per_round"] == [0.2, 0.3]
    assert summary["bridge_to_waiting_peak_ratio"] == (200 / 500 + 300 / 600) / 2
    assert summary["waiting_to_ceiling_peak_ratio"] == (500 / 1000 + 600 / 1000) / 2
    assert summary["by_connections"][1]["bridge_to_waiting"] == (200 / 500 + 300 / 600) / 2
