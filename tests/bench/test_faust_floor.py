"""The Faust floor of benchmark 3: its tally, its agents (in Faust's test context, no broker), the
figures the benchmark takes from it, and its place in the table."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import pytest

from bench.faust_floor import DEVICE_ORDER_CREATED, VARIANTS, Mark, Tally, floor_app
from bench.report import _stream_lines
from bench.stream import floor_figures
from bridge.codec import AvroEncoder
from bridge.routing import route


def ticking() -> Tally:
    """A tally of 5 records whose clock reads (10, 1, 0), (11, 2, 0.5), ... at each call."""
    ticks = itertools.count()
    return Tally(5, clock=lambda: Mark(10.0 + (n := next(ticks)), 1.0 + n, n / 2))


def test_the_tally_marks_the_first_record_and_the_expected_one_once():
    tally = ticking()
    assert tally.report() == {"expected": 5, "counted": 0, "first": None, "done": None}
    tally.start()
    tally.add(3)
    tally.start()  # not a first any more
    assert tally.report()["done"] is None
    tally.add(2)
    tally.add(1)  # a redelivery: done stays when it was reached
    assert tally.report() == {
        "expected": 5,
        "counted": 6,
        "first": {"wall": 10.0, "cpu": 1.0, "waiting": 0.0},
        "done": {"wall": 11.0, "cpu": 2.0, "waiting": 0.5},
    }


def test_figures_from_the_first_record_to_the_last_and_from_launch():
    tally = {
        "expected": 20_000,
        "counted": 20_000,
        "first": {"wall": 1012.0, "cpu": 3.0, "waiting": 0.25},
        "done": {"wall": 1016.0, "cpu": 6.5, "waiting": 0.75},
    }
    figures = floor_figures(tally, launched_wall=1000.0)
    assert figures["complete"]
    assert figures["first_after_launch_s"] == 12.0
    assert figures["processing_s"] == 4.0
    assert figures["events_per_second"] == 5000.0
    assert figures["events_per_second_from_launch"] == 1250.0
    assert figures["cpu_us_per_event"] == pytest.approx(175.0)
    assert figures["cpu_share"] == pytest.approx(0.875)
    assert figures["runqueue_wait_s"] == 0.5
    without_schedstat = {**tally, "first": {**tally["first"], "waiting": None}}
    assert floor_figures(without_schedstat, launched_wall=1000.0)["runqueue_wait_s"] is None


def test_an_unfinished_floor_has_no_rate():
    first = {"wall": 1.0, "cpu": 1.0, "waiting": 0.0}
    tally = {"expected": 10, "counted": 4, "first": first, "done": None}
    figures = floor_figures(tally, launched_wall=0.0)
    assert not figures["complete"]
    assert figures["counted"] == 4
    assert figures["events_per_second"] == 0.0


@pytest.mark.parametrize("variant", VARIANTS)
async def test_each_variant_decodes_and_counts_every_record(
    variant, settings, registry, device_order_created
):
    record = route(device_order_created, datetime.now(UTC), b"k").record
    value = AvroEncoder(registry, settings.topic_prefix).encode(DEVICE_ORDER_CREATED, record)
    tally = Tally(3)
    app = floor_app(settings, variant, tally, registry=registry)
    assert app.conf.id == f"{settings.topic_prefix}-faust-floor-{variant}"
    [agent] = app.agents.values()
    assert agent.channel.get_topic_name() == DEVICE_ORDER_CREATED.topic(settings.topic_prefix)
    async with agent.test_context() as context:
        for _ in range(3):
            await context.put(key=b"k", value=value)
        for _ in range(100):  # a batch waits to fill
            if tally.done:
                break
            await asyncio.sleep(0.02)
    assert tally.counted == 3
    assert tally.first is not None
    assert tally.done is not None
    assert tally.done.cpu >= tally.first.cpu
    assert tally.done.waiting is None or tally.done.waiting >= tally.first.waiting


def test_the_table_puts_the_worker_between_the_floor_and_the_raw_ceiling():
    def floor(each: float, batch: float) -> dict:
        return {
            "each": {"complete": True, "events_per_second": each},
            "batch": {"complete": batch > 0, "events_per_second": batch},
        }

    worker = {
        "events_per_second": 3000.0,
        "events_per_second_from_launch": 1500.0,
        "events_per_worker_cpu_s": 2500.0,
        "counts_match": True,
    }
    stream = {
        "rounds": [
            {"worker": worker, "faust_floor": floor(5000.0, 6000.0), "raw": {
                "events_per_second": 30000.0}, "ratio": 0.1, "ratio_faust_floor": 0.5,
             "ratio_faust_floor_to_raw": 0.2},
            {"worker": worker, "faust_floor": floor(5000.0, 0.0), "raw": {
                "events_per_second": 30000.0}, "ratio": 0.1, "ratio_faust_floor": 0.6,
             "ratio_faust_floor_to_raw": 0.167},
        ],
        "summary": {
            "records": 20_000, "programs": 300, "rounds": 2,
            "worker_events_per_second": 3000.0, "worker_events_per_second_from_launch": 1500.0,
            "events_per_worker_cpu_s": 2500.0, "raw_events_per_second": 30000.0,
            "faust_floor_each_events_per_second": 5000.0,
            "faust_floor_batch_events_per_second": 3000.0,
            "faust_floor_each_cpu_us_per_event": 190.0,
            "faust_floor_batch_cpu_us_per_event": 160.0,
            "faust_floor_each_cpu_share": 0.98, "faust_floor_each_runqueue_wait_s": 0.3,
            "faust_floor_batch_cpu_share": 0.6, "faust_floor_batch_runqueue_wait_s": 1.5,
            "worker_cpu_share": 0.5, "worker_runqueue_wait_s": 4.0,
            "ratio": 0.1, "ratio_faust_floor": 0.55, "ratio_faust_floor_to_raw": 0.183,
        },
    }  # fmt: skip
    lines = _stream_lines(stream)
    header = [cell.split() for cell in lines[4].split("|")]
    assert header[2:5] == [
        ["floor", "each", "batch"], ["raw", "ev/s"], ["w/raw", "w/floor", "fl/raw"],
    ]  # fmt: skip
    first, second, med = ([cell.split() for cell in line.split("|")] for line in lines[5:8])
    assert first[2:5] == [["5,000", "6,000"], ["30,000"], ["0.100", "0.500", "0.200"]]
    assert second[2] == ["5,000", "NO"]  # the batch variant did not finish
    assert med[0] == ["med"]
    assert med[4] == ["0.100", "0.550", "0.183"]
    assert "each 190, batch 160" in lines[8]
    assert "worker 400 (from launch)" in lines[8]
    assert (
        "each 98% / 0.3 s, batch 60% / 1.5 s (first record to the N-th); worker 50% / 4.0 s"
        in lines[9]
    )
