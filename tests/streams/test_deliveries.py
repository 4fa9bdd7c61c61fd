"""Delivery reports without a callback per record (no broker)."""

from __future__ import annotations

import asyncio
import logging

import faust

from streams.deliveries import Deliveries


def app() -> faust.App:
    return faust.App("deliveries-test", broker="kafka://127.0.0.1:1", autodiscover=False)


async def test_failures_are_logged_and_deliveries_reported_in_send_order(caplog):
    written: list[int] = []
    deliveries = Deliveries(app(), "docink.alerts", written.append)
    loop = asyncio.get_running_loop()
    first, second, third = (loop.create_future() for _ in range(3))
    for sent in (first, second, third):
        deliveries.add(sent)
    second.set_result(2)
    third.set_exception(ConnectionError("broker gone"))
    deliveries.sweep()
    assert written == [] and len(deliveries) == 3  # the oldest is not done yet
    first.set_result(1)
    with caplog.at_level(logging.ERROR, logger="streams.deliveries"):
        deliveries.sweep()
    assert written == [1, 2] and len(deliveries) == 0
    assert "publishing to topic=docink.alerts failed: ConnectionError" in caplog.text
    assert "broker gone" not in caplog.text  # (messages may quote record data)


async def test_a_send_reports_what_is_done_before_it():
    written: list[int] = []
    deliveries = Deliveries(app(), "t", written.append)
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    deliveries.add(done)
    done.set_result(1)
    deliveries.add(loop.create_future())
    assert written == [1] and len(deliveries) == 1
