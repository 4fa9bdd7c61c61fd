"""Declares the bridge's topics and creates them idempotently; nothing relies on auto-creation."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException, TopicCollection
from confluent_kafka.admin import (
    AdminClient,
    ConfigResource,
    NewTopic,
    ResourceType,
    TopicDescription,
)

from bridge.catalog import (
    ALL_TYPES,
    DEADLETTER_TYPE,
    RPM_COUNTS_TYPE,
    STREAMS_DEADLETTER_TYPE,
    UNKNOWN_TYPE,
)
from bridge.settings import Settings

logger = logging.getLogger(__name__)

DAY_MS = 24 * 60 * 60 * 1000
EVENT_RETENTION_MS = 7 * DAY_MS
# Dead letters and unknown events wait for a person or a new schema: keep them longer.
HOLDING_RETENTION_MS = 30 * DAY_MS
MISSING = "missing"  # what ``check_topics`` finds of a topic that does not exist


@dataclass(frozen=True)
class TopicSpec:
    """A topic as declared: name, partitions, replication and configs."""

    name: str
    partitions: int
    replication: int
    config: dict[str, str] = field(default_factory=dict)


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic the bridge and the stream agents write, one per catalog type.

    (Faust creates its own internal topics: table changelogs and repartition topics.)
    """
    min_insync = str(max(1, min(2, settings.topic_replication - 1)))
    specs = []
    for event_type in ALL_TYPES:
        holding = event_type in (UNKNOWN_TYPE, DEADLETTER_TYPE, STREAMS_DEADLETTER_TYPE)
        retention = HOLDING_RETENTION_MS if holding else EVENT_RETENTION_MS
        config = {
            "cleanup.policy": "delete",
            "retention.ms": str(retention),
            "min.insync.replicas": min_insync,
        }
        if event_type is RPM_COUNTS_TYPE:  # the latest count per key is the state
            config = {"cleanup.policy": "compact", "min.insync.replicas": min_insync}
        specs.append(
            TopicSpec(
                event_type.topic(settings.topic_prefix),
                settings.topic_partitions,
                settings.topic_replication,
                config,
            )
        )
    return specs


def ensure_topics(
    admin: AdminClient, specs: list[TopicSpec], timeout: float = 30.0
) -> dict[str, str]:
    """Create the topics that do not exist yet; returns ``{topic: "created" | "exists"}``."""
    futures = admin.create_topics(
        [
            NewTopic(spec.name, spec.partitions, spec.replication, config=spec.config)
            for spec in specs
        ],
        request_timeout=timeout,
    )
    outcome = {}
    for name, future in futures.items():
        try:
            future.result(timeout)
            outcome[name] = "created"
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
            outcome[name] = "exists"
        logger.info("topic %s %s", name, outcome[name])
    return outcome


def check_topics(
    admin: AdminClient, specs: list[TopicSpec], timeout: float = 30.0
) -> dict[str, list[str]]:
    """How each declared topic differs from the cluster's: ``{topic: differences}``, where
    an empty list means it is as declared and ``[MISSING]`` that it does not exist."""
    described = admin.describe_topics(
        TopicCollection([spec.name for spec in specs]), request_timeout=timeout
    )
    resources = {spec.name: ConfigResource(ResourceType.TOPIC, spec.name) for spec in specs}
    configured = admin.describe_configs(list(resources.values()), request_timeout=timeout)
    outcome = {}
    for spec in specs:
        try:
            description = described[spec.name].result(timeout)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise
            outcome[spec.name] = [MISSING]
            continue
        entries = configured[resources[spec.name]].result(timeout)
        configs = {name: entry.value for name, entry in entries.items()}
        outcome[spec.name] = differences(spec, description, configs)
    return outcome


def differences(
    spec: TopicSpec, description: TopicDescription, configs: dict[str, str | None]
) -> list[str]:
    """What of ``spec`` the described topic does not have, one phrase per difference."""
    found = []
    if len(description.partitions) != spec.partitions:
        found.append(f"partitions {len(description.partitions)} (expected {spec.partitions})")
    replication = sorted({len(partition.replicas) for partition in description.partitions})
    if replication != [spec.replication]:
        shown = "/".join(map(str, replication))
        found.append(f"replication {shown} (expected {spec.replication})")
    for name, expected in sorted(spec.config.items()):
        if configs.get(name) != expected:
            found.append(f"{name} {configs.get(name)} (expected {expected})")
    return found


def admin_client(settings: Settings) -> AdminClient:
    """An admin client for the configured cluster."""
    return AdminClient({"bootstrap.servers": settings.bootstrap_servers, **settings.kafka_config})
