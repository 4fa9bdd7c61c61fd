"""Integration tests: the devstack really runs Kafka and Apicurio Registry."""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka import Consumer, KafkaError, Message, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from devstack import LocalKafka, LocalRegistry
from devstack.ports import port_open

pytestmark = pytest.mark.integration

TOPIC = "devstack.smoke"
AVRO_SCHEMA = {
    "type": "record",
    "name": "DevstackSmoke",
    "namespace": "docink.devstack",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "count", "type": "int", "default": 0},
    ],
}


def _produce(bootstrap: str, key: bytes, value: bytes) -> None:
    errors: list[KafkaError] = []

    def on_delivery(err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            errors.append(err)

    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    producer.produce(TOPIC, key=key, value=value, on_delivery=on_delivery)
    assert producer.flush(30) == 0, "message not delivered within 30 s"
    assert not errors


def _consume_one(bootstrap: str, group: str, timeout: float = 60) -> tuple[bytes, bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    try:
        consumer.subscribe([TOPIC])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            key, value = msg.key(), msg.value()
            assert isinstance(key, bytes) and isinstance(value, bytes)
            return key, value
        raise AssertionError(f"no message on {TOPIC} within {timeout} s")
    finally:
        consumer.close()


def test_local_kafka_keeps_data_across_restart() -> None:
    with LocalKafka() as kafka:
        bootstrap = kafka.bootstrap_servers
        assert bootstrap.startswith("127.0.0.1:")

        admin = AdminClient({"bootstrap.servers": bootstrap})
        created = admin.create_topics([NewTopic(TOPIC, num_partitions=1, replication_factor=1)])
        created[TOPIC].result(timeout=30)

        _produce(bootstrap, b"doc-1", b"hello")
        assert _consume_one(bootstrap, group="before-restart") == (b"doc-1", b"hello")

        kafka.stop()
        assert not kafka.running
        assert not port_open(kafka.port)

        kafka.start()
        assert kafka.bootstrap_servers == bootstrap
        assert _consume_one(bootstrap, group="after-restart") == (b"doc-1", b"hello")
        topics = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics
        assert TOPIC in topics

    assert not kafka.running


def test_local_registry_registers_and_reads_avro_schema() -> None:
    with LocalRegistry() as registry:
        assert registry.url.startswith("http://127.0.0.1:")
        assert registry.url.endswith("/apis/ccompat/v7")

        subject = f"{TOPIC}-value"
        schema_id = SchemaRegistryClient({"url": registry.url}).register_schema(
            subject, Schema(json.dumps(AVRO_SCHEMA), "AVRO")
        )
        assert isinstance(schema_id, int)

        reader = SchemaRegistryClient({"url": registry.url})  # fresh client: no cache
        fetched = reader.get_schema(schema_id)
        assert json.loads(fetched.schema_str) == AVRO_SCHEMA
        assert (fetched.schema_type or "AVRO") == "AVRO"
        latest = reader.get_latest_version(subject)
        assert latest.schema_id == schema_id

    assert not registry.running
