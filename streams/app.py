"""The Faust app: configuration, topics and tables in one place; agents register themselves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient
from faust.sensors.prometheus import setup_prometheus_sensors
from prometheus_client import CollectorRegistry

from bridge.catalog import (
    ALERTS_TYPE,
    ENRICHED_TYPE,
    EVENT_TYPES,
    RPM_COUNTS_TYPE,
    STREAMS_DEADLETTER_TYPE,
    UNKNOWN_TYPE,
    EventType,
)
from bridge.codec import registry_client
from bridge.settings import Settings
from streams.codec import StreamCodec

METRICS_PREFIX = "docink_streams"


@dataclass(frozen=True)
class Outputs:
    """The topics the agents publish to (created by ``docink topics create``)."""

    enriched: faust.TopicT
    rpm_counts: faust.TopicT
    alerts: faust.TopicT
    deadletter: faust.TopicT


@dataclass(frozen=True)
class Streams:
    """A configured Faust app with what its agents share."""

    app: faust.App
    settings: Settings
    codec: StreamCodec
    outputs: Outputs

    def raw_topic(self, *event_types: EventType, **options: object) -> faust.TopicT:
        """The topics of ``event_types``, read as raw bytes (decoded inside the agents)."""
        names = [event_type.topic(self.settings.topic_prefix) for event_type in event_types]
        return self.app.topic(
            *names, key_type=bytes, value_type=bytes, key_serializer="raw",
            value_serializer="raw", **options,
        )  # fmt: skip

    async def decode(self, event: faust.EventT) -> tuple[EventType, dict[str, Any]]:
        """The catalog type and the decoded record of an event read from a bridge topic."""
        topic = event.message.topic
        prefix = self.settings.topic_prefix
        event_type = next(t for t in (*EVENT_TYPES, UNKNOWN_TYPE) if t.topic(prefix) == topic)
        return event_type, await self.codec.decode(event_type, topic, event.value)


def faust_app(settings: Settings) -> faust.App:
    """A Faust app configured from ``settings``: at-least-once, topics never auto-created."""
    app = faust.App(
        f"{settings.topic_prefix}-streams",
        broker=[f"kafka://{server}" for server in settings.bootstrap_servers.split(",")],
        store=settings.streams_store,
        datadir=settings.streams_data_dir,
        autodiscover=False,
        processing_guarantee=settings.streams_processing_guarantee,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.streams_session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, settings.streams_session_timeout_seconds / 3),
        broker_commit_interval=1.0,
        web_host=settings.streams_web_host,
        web_port=settings.streams_web_port,
        canonical_url=settings.streams_canonical_url
        or f"http://{settings.streams_web_host}:{settings.streams_web_port}",
        producer_acks=-1,
        stream_recovery_delay=0.0,
    )
    # Its own registry: several apps in one process (tests) must not collide on metric names.
    setup_prometheus_sensors(app, registry=CollectorRegistry(), name_prefix=METRICS_PREFIX)
    return app


def create_app(
    settings: Settings | None = None, *, registry: SchemaRegistryClient | None = None
) -> Streams:
    """Build the stream-processing app and register every agent on it."""
    from streams import alerts, enrich, rpm  # agents import Streams from here

    settings = settings or Settings.from_env()
    app = faust_app(settings)
    codec = StreamCodec(registry or registry_client(settings), settings.topic_prefix)

    def output(event_type: EventType) -> faust.TopicT:
        return app.topic(
            event_type.topic(settings.topic_prefix),
            key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
        )  # fmt: skip

    streams = Streams(
        app,
        settings,
        codec,
        Outputs(
            output(ENRICHED_TYPE),
            output(RPM_COUNTS_TYPE),
            output(ALERTS_TYPE),
            output(STREAMS_DEADLETTER_TYPE),
        ),
    )
    unknown_names = alerts.register(streams)
    enrich.register(streams, unknown_names)
    rpm.register(streams)
    return streams
