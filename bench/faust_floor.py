"""``python -m bench.faust_floor VARIANT RECORDS``: the Faust floor of benchmark 3.

The least a faust-streaming agent does with a device order: one agent on the device-order
topic decodes each record as the worker's agents do (``StreamCodec``: fastavro, the catalog
schema as reader schema) and counts it in memory; no tables, no outputs. The app is the
worker's own (``streams.app.faust_app``, configured by ``DOCINK_*``: the same broker, consumer,
producer, commit and stream settings; uvloop), with an app id, so a consumer group, of its own,
and Faust's default monitor instead of the worker's Prometheus one: what any Faust agent pays.

Variants: ``each`` iterates the stream one record at a time; ``batch`` takes the events in
batches as the worker's agents do (``streams.batches``). ``GET /floor`` answers the count, and
the wall clock, process CPU time and run-queue wait at the first record and at the
``RECORDS``-th.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import faust
import mode.loop
from confluent_kafka.schema_registry import SchemaRegistryClient
from faust.web import Request, Response, View

from bench.cpu import runqueue_wait_seconds
from bridge.catalog import lookup
from bridge.codec import registry_client
from bridge.logs import configure_logging
from bridge.settings import Settings
from streams.app import faust_app
from streams.batches import BATCH_MAX, BATCH_WITHIN
from streams.codec import StreamCodec

DEVICE_ORDER_CREATED = lookup("device_order_created")
VARIANTS = ("each", "batch")
PAGE = "/floor"


@dataclass(frozen=True)
class Mark:
    """A moment, in seconds: wall clock (``time.time``), this process's CPU time, and how long
    the agent's thread has waited for a CPU while runnable (None where /proc has no schedstat)."""

    wall: float
    cpu: float
    waiting: float | None = None


def now() -> Mark:
    return Mark(time.time(), time.process_time(), runqueue_wait_seconds())


@dataclass
class Tally:
    """Records counted, and the moments of the first and of the ``expected``-th."""

    expected: int
    clock: Callable[[], Mark] = now
    counted: int = 0
    first: Mark | None = None
    done: Mark | None = None

    def start(self) -> None:
        if self.first is None:
            self.first = self.clock()

    def add(self, records: int) -> None:
        self.counted += records
        if self.done is None and self.counted >= self.expected:
            self.done = self.clock()

    def report(self) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "counted": self.counted,
            "first": self.first and asdict(self.first),
            "done": self.done and asdict(self.done),
        }


def floor_app(
    settings: Settings,
    variant: str,
    tally: Tally,
    *,
    registry: SchemaRegistryClient | None = None,
) -> faust.App:
    """The worker's Faust app with one agent that counts the device orders into ``tally``."""
    app = faust_app(settings)
    app.conf.id = f"{settings.topic_prefix}-faust-floor-{variant}"  # a fresh consumer group
    app.monitor = faust.Monitor()  # Faust's own, not the worker's Prometheus monitor
    codec = StreamCodec(registry or registry_client(settings), settings.topic_prefix)
    topic = app.topic(
        DEVICE_ORDER_CREATED.topic(settings.topic_prefix), key_type=bytes, value_type=bytes,
        key_serializer="raw", value_serializer="raw",
    )  # fmt: skip

    async def count_each(stream: faust.StreamT) -> None:
        async for value in stream:
            tally.start()
            await codec.decode(DEVICE_ORDER_CREATED, value)
            tally.add(1)

    async def count_batches(stream: faust.StreamT) -> None:
        async for events in stream.take_events(BATCH_MAX, within=BATCH_WITHIN):
            tally.start()
            for event in events:
                await codec.decode(DEVICE_ORDER_CREATED, event.value)
            tally.add(len(events))

    count = count_each if variant == "each" else count_batches
    app.agent(topic, name=f"count_{variant}", concurrency=1)(count)

    @app.page(PAGE)
    async def floor_page(self: View, request: Request) -> Response:
        return self.json(tally.report())

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.faust_floor", description=__doc__)
    parser.add_argument("variant", choices=VARIANTS)
    parser.add_argument("records", type=int, help="records on the topic: done when all counted")
    args = parser.parse_args(argv)
    mode.loop.use("uvloop")  # as the worker: before anything creates the event loop
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    app = floor_app(settings, args.variant, Tally(args.records))
    worker = faust.Worker(app, loglevel=settings.log_level, override_logging=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
