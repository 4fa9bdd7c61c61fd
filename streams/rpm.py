"""Agents ``route_device_orders`` and ``count_device_orders``: device orders per RPM program,
all-time and per UTC day, net of deletions; published to a compacted topic and served at
``GET /rpm-programs/<uuid>/device-orders`` by whichever worker owns the program."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import faust
from faust.web import Request, Response, View

from bridge.catalog import RPM_COUNTS_TYPE, lookup
from streams.app import Streams
from streams.counting import (
    ALL_TIME,
    CREATED,
    DELETED,
    OrderChange,
    count_for,
    count_step,
    day_window,
    order_change,
    window_of_day,
)
from streams.deadletters import guarded_agent

logger = logging.getLogger(__name__)

KINDS = {lookup("device_order_created"): CREATED, lookup("device_order_deleted"): DELETED}


def register(streams: Streams) -> None:
    """Register the routing and counting agents and the web view on ``streams.app``."""
    app = streams.app
    by_program = app.topic(
        f"{app.conf.id}-device-orders-by-program", key_type=str, value_type=bytes,
        key_serializer="raw", value_serializer="raw", internal=True,
    )  # fmt: skip
    # Both keyed within by_program's partitions: an order's events all carry its program.
    orders = app.Table("device_orders", key_type=str)
    counts = app.Table("rpm_program_device_orders", key_type=str)

    async def route(event: faust.EventT) -> None:
        event_type, record = await streams.decode(event)
        change = order_change(KINDS[event_type], record)
        if change is None:
            logger.info("event_id=%s names no RPM program; not counted", record["event_id"])
            return
        await by_program.send(key=str(change.program), value=json.dumps(change.as_json()).encode())

    async def count(event: faust.EventT) -> None:
        change = OrderChange(**json.loads(event.value))
        order, program = str(change.order), str(change.program)
        step = count_step(orders.get(order), counts.get(program), change, event.message.offset)
        if step.counts is not None:  # counts first: see count_step
            counts[program] = step.counts
        if step.state is not None:
            orders[order] = step.state
        now = datetime.now(UTC)
        for window in step.windows:
            await publish(change.program, window, count_for(counts[program], window), now)

    guarded_agent(streams, streams.raw_topic(*KINDS), "route_device_orders", route)
    guarded_agent(streams, by_program, "count_device_orders", count)

    async def publish(program: int, window: str, value: int, now: datetime) -> None:
        bounds = None if window == ALL_TIME else window_of_day(window)
        record = {
            "program_uuid": program,
            "window": {"start": bounds[0], "end": bounds[1]} if bounds else None,
            "count": value,
            "updated_at": now,
        }
        key = f"{program}" if window == ALL_TIME else f"{program}/{window}"
        encoded = await streams.codec.encode(RPM_COUNTS_TYPE, record)
        await streams.outputs.rpm_counts.send(key=key.encode(), value=encoded)

    @app.page("/rpm-programs/{uuid}/device-orders")
    class DeviceOrdersView(View):
        """All-time and today's device orders of one RPM program."""

        @app.table_route(table=counts, match_info="uuid")
        async def get(self, request: Request, uuid: str) -> Response:
            if not uuid.isdigit():
                return self.json({"error": "not_found", "message": "no such program"}, status=404)
            return self.json(device_orders_view(int(uuid), counts.get(uuid), datetime.now(UTC)))


def device_orders_view(program: int, counts: dict[str, Any] | None, now: datetime) -> dict:
    """The JSON answer of the web view."""
    today = day_window(now)[0].date().isoformat()
    return {
        "program_uuid": program,
        "all_time": count_for(counts, ALL_TIME),
        "today": {"date": today, "count": count_for(counts, today)},
    }
