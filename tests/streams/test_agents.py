"""Agents in Faust's test context (no broker): their outputs are captured at the topic."""

from __future__ import annotations

import json
from collections.abc import Iterator
from unittest import mock

import faust
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from bridge.settings import Settings
from streams.app import Streams, create_app
from streams.counting import CREATED, DELETED, OrderChange


@pytest.fixture
def streams(settings: Settings, registry: SchemaRegistryClient) -> Streams:
    return create_app(settings, registry=registry)


@pytest.fixture
def sent() -> Iterator[mock.AsyncMock]:
    """Every ``topic.send`` of the agents, captured."""
    with mock.patch.object(faust.Topic, "send", new=mock.AsyncMock()) as send:
        yield send


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


async def test_device_orders_count_distinct_orders_per_program(streams, sent, registry):
    agent = streams.app.agents["count_device_orders"]
    changes = [
        OrderChange(CREATED, 1, 7, "2021-02-21", "a"),
        OrderChange(CREATED, 1, 7, "2021-02-21", "a"),  # redelivered
        OrderChange(CREATED, 2, 7, "2021-02-22", "b"),
        OrderChange(DELETED, 1, 7, "2021-02-21", "c"),
    ]
    async with agent.test_context() as context:
        for change in changes:
            await context.put(key="7", value=json.dumps(change.as_json()).encode())
    published = decoded(registry, sent, "docink.rpm-program-device-orders")
    all_time = [p["count"] for p in published if p["window"] is None]
    assert all_time == [1, 2, 1]
    by_day = [
        (p["window"]["start"].date().isoformat(), p["count"]) for p in published if p["window"]
    ]
    assert by_day == [("2021-02-21", 1), ("2021-02-22", 1), ("2021-02-21", 0)]
    keys = [call.kwargs["key"] for call in sent.await_args_list]
    assert keys[:2] == [b"7", b"7/2021-02-21"]
