"""Device orders per RPM program, all-time and per UTC day, net of deletions: ``enrich_events``
routes each device-order change to a topic partitioned by program (``OrderRouting``); agent
``count_device_orders`` counts them, publishes to a compacted topic, and the web view
``GET /rpm-programs/<uuid>/device-orders`` answers from whichever worker owns the program."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import faust
from faust.web import Request, Response, View

from bridge.catalog import RPM_COUNTS_TYPE, EventType, lookup
from streams.app import Streams
from streams.batches import batch_agent, current, each
from streams.counting import (
    ALL_TIME,
    CREATED,
    DELETED,
    OrderChange,
    Tally,
    count_for,
    day_window,
    order_change,
    window_of_day,
)
from streams.tables import FastTable

logger = logging.getLogger(__name__)

KINDS = {lookup("device_order_created"): CREATED, lookup("device_order_deleted"): DELETED}
COUNTING = "count_device_orders"
# A batch of routed changes waits this long to fill: each program's counts are then written and
# published up to four times a second, however many of its orders changed (1 s put the p99 of a
# webhook to its count at ~1.8 s, against the 1 s target).
COUNTS_WITHIN = 0.25


class OrderRouting:
    """The device-order changes of one batch, sent as one record per partition of the
    program-partitioned topic (a record per program while that topic's metadata is unknown)."""

    def __init__(self, topic: faust.TopicT, partition_of: Callable[[bytes], int | None]) -> None:
        self._topic = topic
        self._partition_of = partition_of
        self._records: dict[int | str, list[dict[str, Any]]] = {}
        self._partitions: dict[str, int | None] = {}

    def add(self, event_type: EventType, record: dict[str, Any]) -> None:
        """Route ``record`` if it is a device order that names its program."""
        kind = KINDS.get(event_type)
        if kind is None:
            return
        change = order_change(kind, record)
        if change is None:
            logger.info("event_id=%s names no RPM program; not counted", record["event_id"])
            return
        program = str(change.program)
        if program not in self._partitions:
            self._partitions[program] = self._partition_of(program.encode())
        partition = self._partitions[program]
        self._records.setdefault(program if partition is None else partition, []).append(
            change.as_json()
        )

    async def send(self) -> None:
        for destination, changes in self._records.items():
            value = json.dumps(changes).encode()
            if isinstance(destination, int):
                await self._topic.send(key=None, value=value, partition=destination)
            else:
                await self._topic.send(key=destination, value=value)
        self._records.clear()


def register(streams: Streams) -> Callable[[], OrderRouting]:
    """Register the counting agent and the web view; returns a new routing for each batch of
    ``enrich_events``."""
    app = streams.app
    by_program = app.topic(
        f"{app.conf.id}-device-orders-by-program", key_type=str, value_type=bytes,
        key_serializer="raw", value_serializer="raw", internal=True,
    )  # fmt: skip
    # Both keyed within by_program's partitions: an order's changes all carry its program.
    orders = FastTable(app, app.Table("device_orders", key_type=str))
    counts_table = app.Table("rpm_program_device_orders", key_type=str)
    counts = FastTable(app, counts_table)

    async def count(events: Sequence[faust.EventT]) -> None:
        tally: Tally[faust.EventT] = Tally(orders.get, counts.get)

        async def add(event: faust.EventT) -> None:
            changes = [OrderChange(**change) for change in json.loads(event.value)]
            for index, change in enumerate(changes):
                tally.add(change, (event.message.offset, index), event)

        await each(streams, COUNTING, events, add)
        for table, written in ((orders, tally.states), (counts, tally.counts)):
            for key, (value, event) in written.items():
                with current(event):  # in the partition its change was read from
                    await table.set(key, value, event.message.partition)
        now = datetime.now(UTC)
        for program, windows in tally.published.items():
            for window, value in windows.items():
                await publish(int(program), window, value, now)

    batch_agent(streams, by_program, COUNTING, count, within=COUNTS_WITHIN)

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

        @app.table_route(table=counts_table, match_info="uuid")
        async def get(self, request: Request, uuid: str) -> Response:
            if not uuid.isdigit():
                return self.json({"error": "not_found", "message": "no such program"}, status=404)
            return self.json(
                device_orders_view(int(uuid), counts_table.get(uuid), datetime.now(UTC))
            )

    def routing() -> OrderRouting:
        name = by_program.get_topic_name()
        return OrderRouting(by_program, lambda key: app.consumer.key_partition(name, key))

    return routing


def device_orders_view(program: int, counts: dict[str, Any] | None, now: datetime) -> dict:
    """The JSON answer of the web view."""
    today = day_window(now)[0].date().isoformat()
    return {
        "program_uuid": program,
        "all_time": count_for(counts, ALL_TIME),
        "today": {"date": today, "count": count_for(counts, today)},
    }
