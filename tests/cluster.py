"""The real Kafka cluster and schema registry for integration tests (a pytest plugin).

One session fixture decides where they come from:
1. ``DOCINK_TEST_BOOTSTRAP_SERVERS`` and ``DOCINK_TEST_SCHEMA_REGISTRY_URL`` name a running cluster;
2. else a Docker engine answers: testcontainers;
3. else Kafka and Apicurio Registry run as local JVMs from Maven Central jars (``devstack``).
It never skips: when no cluster can be had, every test that needs one fails with the reason.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from confluent_kafka import Consumer
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from bridge.codec import registry_client
from bridge.registration import register_schemas
from bridge.settings import Settings
from bridge.topics import admin_client, ensure_topics, topic_specs
from tests import SECRET

KAFKA_IMAGE = "apache/kafka:4.1.1"
REGISTRY_IMAGE = "apicurio/apicurio-registry:3.3.3"


@dataclass(frozen=True)
class Cluster:
    """Where the tests find Kafka and the registry, and what provides them."""

    bootstrap_servers: str
    schema_registry_url: str
    provider: str


def _external() -> Cluster | None:
    servers = os.environ.get("DOCINK_TEST_BOOTSTRAP_SERVERS")
    registry = os.environ.get("DOCINK_TEST_SCHEMA_REGISTRY_URL")
    if not servers:
        return None
    if not registry:
        raise RuntimeError(
            "DOCINK_TEST_BOOTSTRAP_SERVERS is set but DOCINK_TEST_SCHEMA_REGISTRY_URL is not"
        )
    return Cluster(servers, registry, "external")


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:  # noqa: BLE001 - any failure means "no engine here"
        return False
    return True


@contextmanager
def _containers() -> Iterator[Cluster]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.kafka import KafkaContainer

    with (
        KafkaContainer(KAFKA_IMAGE) as kafka,
        DockerContainer(REGISTRY_IMAGE).with_exposed_ports(8080) as registry,
    ):
        wait_for_logs(registry, "Listening on", timeout=120)
        host, port = registry.get_container_host_ip(), registry.get_exposed_port(8080)
        yield Cluster(
            kafka.get_bootstrap_server(), f"http://{host}:{port}/apis/ccompat/v7", "testcontainers"
        )


@contextmanager
def _local_jvms() -> Iterator[Cluster]:
    from devstack import LocalKafka, LocalRegistry
    from devstack.stack import start_together

    with ExitStack() as stack:
        kafka, registry = LocalKafka(), LocalRegistry()
        start_together(stack, kafka, registry)
        yield Cluster(kafka.bootstrap_servers, registry.url, "local-jvm")


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """The session's Kafka cluster and schema registry; fails (never skips) when none starts."""
    with ExitStack() as stack:
        try:
            found = _external() or stack.enter_context(
                _containers() if _docker_answers() else _local_jvms()
            )
        except Exception as exc:  # noqa: BLE001 - reported as the failure reason
            pytest.fail(f"no Kafka cluster for integration tests: {exc}", pytrace=False)
        yield found


@pytest.fixture
def live_settings(cluster: Cluster) -> Settings:
    """Settings for the real cluster, with a fresh topic prefix whose topics and schemas exist."""
    settings = Settings(
        bootstrap_servers=cluster.bootstrap_servers,
        schema_registry_url=cluster.schema_registry_url,
        shared_secret=SECRET,
        token_fingerprint_key=b"integration-fingerprint-key",
        topic_prefix=f"t{uuid.uuid4().hex[:12]}",
        topic_partitions=3,
        ack_timeout_seconds=5.0,
        # The plain pipeline: redeliveries reach Kafka (the stream agents' de-duplication is
        # tested with them) and fast senders are not rate limited. Tests of the bridge's
        # suppression and limits turn them on with dataclasses.replace.
        dedup_window_seconds=0,
        rate_limit_global=None,
        rate_limit_per_org=None,
    )
    return provision(settings)


def provision(settings: Settings) -> Settings:
    """Create the prefix's topics and register its schemas, as ``docink topics create`` and
    ``docink schemas register`` do before a deployment."""
    ensure_topics(admin_client(settings), topic_specs(settings))
    register_schemas(registry_client(settings), settings.topic_prefix)
    return settings


@dataclass(frozen=True)
class Consumed:
    """A record read back with a plain consumer and Confluent's AvroDeserializer."""

    key: bytes | None
    value: dict[str, Any]
    headers: dict[str, bytes]
    partition: int
    offset: int


def consume(
    settings: Settings, topic: str, count: int, timeout: float = 30.0, settle: float = 0.0
) -> list[Consumed]:
    """Read ``topic`` from the beginning in a fresh consumer group: until ``count`` records
    arrived (or ``timeout``), then ``settle`` seconds more, so that extra records show."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "group.id": f"test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    deserialize = AvroDeserializer(registry_client(settings))
    consumer.subscribe([topic])
    records: list[Consumed] = []
    deadline = time.monotonic() + timeout
    settled: float | None = None
    try:
        while time.monotonic() < (settled or deadline):
            if settled is None and len(records) >= count:
                settled = time.monotonic() + settle
                continue
            message = consumer.poll(0.2)
            if message is None:
                continue
            if message.error():
                raise RuntimeError(f"consumer error: {message.error()}")
            context = SerializationContext(topic, MessageField.VALUE)
            records.append(
                Consumed(
                    message.key(),
                    deserialize(message.value(), context),
                    dict(message.headers() or []),
                    message.partition(),
                    message.offset(),
                )
            )
    finally:
        consumer.close()
    return records
