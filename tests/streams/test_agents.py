"""Agents in Faust's test context (no broker): their outputs are captured at the topic."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from unittest import mock

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from bridge.settings import Settings
from streams.app import Output, Streams, create_app, written_topics
from streams.counting import CREATED, DELETED, OrderChange
from streams.rpm import COUNTS_WITHIN
from streams.tables import FastTable


@pytest.fixture
def streams(settings: Settings, registry: SchemaRegistryClient) -> Streams:
    return create_app(settings, registry=registry)


@pytest.fixture
def sent() -> Iterator[mock.AsyncMock]:
    """Every output the agents publish, captured."""
    with mock.patch.object(Output, "send", new=mock.AsyncMock()) as send:
        yield send


@pytest.fixture(autouse=True)
def changelogs() -> Iterator[mock.AsyncMock]:
    """Every changelog record the agents' tables write, captured (no producer here)."""
    with mock.patch.object(FastTable, "write_changelog", new=mock.AsyncMock()) as write:
        yield write


def decoded(registry: SchemaRegistryClient, send: mock.AsyncMock, topic: str) -> list[dict]:
    deserialize = AvroDeserializer(registry)
    context = SerializationContext(topic, MessageField.VALUE)
    return [deserialize(call.kwargs["value"], context) for call in send.await_args_list]


async def test_unknown_event_names_alert_once_per_hour_each(streams, sent, registry):
    agent = streams.app.agents["alert_unknown_events"]
    async with agent.test_context() as context:
        for name, event_id in [("invoice-paid", "e1"), ("invoice-paid", "e2"), ("x-ray", "e3")]:
            seen = {"event_id": event_id, "org_uuid": 5, "org_name": "Clinic", "event_time_ms": 0}
            await context.put(key=name, value=json.dumps(seen).encode())
    alerts = decoded(registry, sent, "docink.alerts")
    assert [(a["kind"], a["event_id"]) for a in alerts] == [
        ("unknown_event_type", "e1"),
        ("unknown_event_type", "e3"),
    ]
    assert alerts[0]["org_name"] == "Clinic"


async def sends(send: mock.AsyncMock, count: int, timeout: float = 5.0) -> None:
    """Until ``count`` sends were captured (a batch waits to fill) or ``timeout`` ran out."""
    for _ in range(int(timeout / 0.05)):
        if send.await_count >= count:
            return
        await asyncio.sleep(0.05)


async def test_device_orders_count_distinct_orders_per_program(streams, sent, registry):
    agent = streams.app.agents["count_device_orders"]
    changes = [
        OrderChange(CREATED, 1, 7, "2021-02-21", "a"),
        OrderChange(CREATED, 1, 7, "2021-02-21", "a"),  # redelivered
        OrderChange(CREATED, 2, 7, "2021-02-22", "b"),
        OrderChange(DELETED, 1, 7, "2021-02-21", "c"),
        OrderChange(CREATED, 3, 8, "2021-02-22", "d"),
    ]
    async with agent.test_context() as context:
        # Two routed records of one batch: each count is published once, with its final value.
        await context.put(value=json.dumps([c.as_json() for c in changes[:2]]).encode())
        await context.put(value=json.dumps([c.as_json() for c in changes[2:]]).encode())
        await sends(sent, 5)
        await asyncio.sleep(COUNTS_WITHIN)  # and no more
    assert sent.await_count == 5
    published = {
        call.kwargs["key"]: record["count"]
        for call, record in zip(
            sent.await_args_list, decoded(registry, sent, "docink.rpm-program-device-orders"),
            strict=True,
        )
    }  # fmt: skip
    assert published == {
        b"7": 1,
        b"7/2021-02-21": 0,
        b"7/2021-02-22": 1,
        b"8": 1,
        b"8/2021-02-22": 1,
    }
    counts = streams.app.tables["rpm_program_device_orders"]
    assert counts["7"]["all"] == 1 and counts["7"]["position"] == [1, 1]


def test_the_producer_tracks_every_topic_the_worker_writes(streams):
    prefix = "docink-streams"
    assert written_topics(streams) == {
        "docink.events.enriched",
        "docink.rpm-program-device-orders",
        "docink.alerts",
        "docink.streams.deadletter",
        f"{prefix}-device-orders-by-program",
        f"{prefix}-unknown-event-names",
        *(
            f"{prefix}-{table}-changelog"
            for table in (
                "seen_events", "org_names", "device_orders", "rpm_program_device_orders",
                "unknown_event_alerts",
            )
        ),
    }  # fmt: skip
