"""Benchmark 4's bookkeeping: which downstream records stand for which webhook."""

from __future__ import annotations

import json

from bench.bodies import Mix
from bench.e2e import ALERT, COUNT, ENRICHED, _latencies, traced_ids
from bridge.routing import canonical_envelope, event_id


def test_traced_mix_gives_each_webhook_a_record_of_its_own_downstream():
    mix = Mix.traced(1)
    bots = [n for n in range(20) if mix.is_bot_installation(n)]
    assert len(bots) == 2
    for n in range(20):
        body = json.loads(mix.render(n))
        if n in bots:
            assert body["event_name"] == "bot-installation" and "token" not in body["payload"]
        else:
            assert body["payload"]["patient_rpm_program_uuid"] == n


def test_traced_ids_use_the_bridges_event_id():
    mix = Mix.traced(1)
    bot = next(n for n in range(10) if mix.is_bot_installation(n))
    order = next(n for n in range(10) if not mix.is_bot_installation(n))
    for n, downstream in ((bot, ALERT), (order, COUNT)):
        body = mix.render(n)
        eid, ids = traced_ids(mix, n, body)
        assert eid == event_id(canonical_envelope(json.loads(body)))
        assert ids[0] == f"{ENRICHED}:{eid}"
        assert ids[1] == (f"{ALERT}:{eid}" if downstream == ALERT else f"{COUNT}:{n}")


def test_latencies_by_kind_and_the_missing():
    sent = {"a": 1.0, "b": 2.0}
    ids = {"a": ["enriched:a", "alert:a"], "b": ["enriched:b", "count:7"]}
    seen = {"enriched:a": 1.010, "alert:a": 1.5, "enriched:b": 2.020}
    found, missing = _latencies(sent, ids, seen, (ALERT, COUNT))
    assert [round(ms) for ms in found] == [500] and missing == 1
    found, missing = _latencies(sent, ids, seen, (ENRICHED,))
    assert [round(ms) for ms in found] == [10, 20] and missing == 0
