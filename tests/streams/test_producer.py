"""The agents' librdkafka producer: records land where Faust's producer put them, and a record
Kafka refused stops the next commit (real broker)."""

from __future__ import annotations

import dataclasses
import logging
import os
import uuid
from unittest import mock

import pytest
from aiokafka.partitioner import DefaultPartitioner
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient, NewTopic
from faust.exceptions import ProducerSendError
from faust.transport.drivers import aiokafka

from bridge.settings import Settings
from streams.app import create_app
from streams.producer import AgentProducer, agent_producer_config

PARTITIONS = 6


def create_topic(settings: Settings, partitions: int, **config: str) -> str:
    name = f"{settings.topic_prefix}-agent-producer-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers})
    admin.create_topics([NewTopic(name, partitions, 1, config=config)])[name].result(30)
    return name


def read_back(settings: Settings, topic: str, count: int) -> list[tuple[bytes, bytes, int]]:
    consumer = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "group.id": f"test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    records = []
    try:
        for _ in range(300):
            if len(records) == count:
                break
            if (message := consumer.poll(0.2)) is not None and not message.error():
                records.append((message.key(), message.value(), message.partition()))
    finally:
        consumer.close()
    return records


@pytest.mark.integration
async def test_keys_land_where_faust_s_producer_puts_them_and_flush_waits_for_kafka(
    live_settings,
):
    topic = create_topic(live_settings, PARTITIONS)
    producer = AgentProducer(agent_producer_config(live_settings))
    keys = [f"org-{n}".encode() for n in range(40)]
    for key in keys:
        await producer.send(topic, key, b"v-" + key)
    await producer.send(topic, None, b"to partition 4", partition=4)
    await producer.flush()

    records = read_back(live_settings, topic, len(keys) + 1)
    partitioner = DefaultPartitioner()  # aiokafka's (Faust's), as Java's: murmur2
    every = list(range(PARTITIONS))
    assert sorted(records, key=repr) == sorted(
        [(key, b"v-" + key, partitioner(key, every, every)) for key in keys]
        + [(None, b"to partition 4", 4)],
        key=repr,
    )


@pytest.mark.integration
async def test_a_record_kafka_refused_fails_the_flush_without_quoting_it(live_settings, caplog):
    topic = create_topic(live_settings, 1, **{"max.message.bytes": "1024"})
    producer = AgentProducer(agent_producer_config(live_settings))
    secret = os.urandom(8_000)  # incompressible, beyond the topic's limit
    await producer.send(topic, b"k", secret)
    with (
        caplog.at_level(logging.ERROR, logger="streams.producer"),
        pytest.raises(ProducerSendError, match=topic),
    ):
        await producer.flush()
    assert f"publishing to topic={topic} failed: MSG_SIZE_TOO_LARGE" in caplog.text
    assert secret.hex()[:16] not in caplog.text
    await producer.send(topic, b"k", b"small")
    await producer.flush()  # reported once: the next commit goes ahead


async def test_faust_s_flush_before_a_commit_flushes_the_agents_producer(settings, registry):
    app = create_app(settings, registry=registry).app
    order: list[str] = []
    with (
        mock.patch.object(aiokafka.Producer, "flush", new=recorded(order, "faust")),
        mock.patch.object(AgentProducer, "flush", new=recorded(order, "agents")),
    ):
        await app.producer.flush()
    assert order == ["faust", "agents"]


def recorded(order: list[str], name: str) -> mock.AsyncMock:
    return mock.AsyncMock(side_effect=lambda: order.append(name))


@pytest.mark.parametrize(("store", "only_errors"), [("memory://", True), ("rocksdb://", False)])
def test_successes_are_reported_only_where_a_table_keeps_changelog_offsets(
    settings, store, only_errors
):
    config = agent_producer_config(dataclasses.replace(settings, streams_store=store))
    assert config["delivery.report.only.error"] is only_errors
    assert config["partitioner"] == "murmur2_random"
    assert (config["acks"], config["enable.idempotence"]) == ("all", True)
