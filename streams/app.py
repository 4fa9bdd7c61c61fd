"""The Faust app: configuration, topics and tables in one place; agents register themselves."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient
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
from streams.metrics import setup_metrics
from streams.producer import AgentProducer, FlushingProducer, agent_producer_config

logger = logging.getLogger(__name__)

METRICS_PREFIX = "docink_streams"
PRODUCER_LINGER_SECONDS = 0.01
PRODUCER_BATCH_BYTES = 256 * 1024
CONSUMER_METADATA_MAX_AGE_MS = 5_000


@dataclass(frozen=True)
class Output:
    """A topic the agents publish to, through the agents' producer (``streams.producer``)."""

    producer: AgentProducer
    topic: str

    async def send(self, key: bytes | None, value: bytes) -> None:
        await self.producer.send(self.topic, key, value)


@dataclass(frozen=True)
class Outputs:
    """The topics the agents publish to (created by ``docink topics create``)."""

    enriched: Output
    rpm_counts: Output
    alerts: Output
    deadletter: Output


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
        event_type = bridge_type(self.settings.topic_prefix, event.message.topic)
        return event_type, await self.codec.decode(event_type, event.value)


@cache
def bridge_type(prefix: str, topic: str) -> EventType:
    """The catalog type of one of the bridge's topics."""
    return next(t for t in (*EVENT_TYPES, UNKNOWN_TYPE) if t.topic(prefix) == topic)


class WorkerApp(faust.App):
    """A Faust app whose producer's flush, before every offset commit, also flushes the agents'
    producer."""

    def __init__(self, *args: Any, agent_producer: AgentProducer, **options: Any) -> None:
        self.agent_producer = agent_producer
        super().__init__(*args, **options)

    def _new_producer(self) -> FlushingProducer:
        return FlushingProducer(
            self.transport, loop=self.loop, beacon=self.beacon, agent_producer=self.agent_producer
        )


def faust_app(settings: Settings) -> WorkerApp:
    """A Faust app configured from ``settings``: at-least-once, topics never auto-created."""
    app = WorkerApp(
        f"{settings.topic_prefix}-streams",
        agent_producer=AgentProducer(agent_producer_config(settings)),
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
        # Faust's default (0) sends each routed record in a request of its own.
        producer_linger=PRODUCER_LINGER_SECONDS,
        # aiokafka's 16 KiB batch holds a few dozen records; a send waits while its partition's
        # batch is full. Larger batches: fewer produce requests and per-batch completions.
        producer_max_batch_size=PRODUCER_BATCH_BYTES,
        producer_compression_type="lz4",  # as the bridge's producer
        stream_recovery_delay=0.0,
        # The agents' internal topics are created as the worker starts, just before it joins
        # its group; where the broker's metadata does not show one yet, the group is assigned
        # without it, and only a metadata refresh (aiokafka: every 5 minutes) makes it rejoin.
        consumer_metadata_max_age_ms=CONSUMER_METADATA_MAX_AGE_MS,
    )
    # Its own registry: several apps in one process (tests) must not collide on metric names.
    setup_metrics(app, CollectorRegistry(), METRICS_PREFIX)
    return app


def create_app(
    settings: Settings | None = None, *, registry: SchemaRegistryClient | None = None
) -> Streams:
    """Build the stream-processing app and register every agent on it."""
    from streams import alerts, enrich, rpm  # agents import Streams from here

    settings = settings or Settings.from_env()
    app = faust_app(settings)
    codec = StreamCodec(registry or registry_client(settings), settings.topic_prefix)

    def output(event_type: EventType) -> Output:
        return Output(app.agent_producer, event_type.topic(settings.topic_prefix))

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
    enrich.register(streams, unknown_names, rpm.register(streams))
    track_topics(streams)
    return streams


def track_topics(streams: Streams) -> None:
    """Once the worker started, make the producer track the metadata of every topic it writes.

    aiokafka's producer tracks a topic only when its metadata was missing at the first send to
    it; once it tracks any (one just created, say), each refresh keeps only the tracked ones,
    so records for an untracked topic wait for a leader until more are sent to it, and so does
    every commit, which flushes the producer.
    """
    app, topics = streams.app, sorted(written_topics(streams))

    @app.task
    async def track() -> None:
        app.producer._ensure_producer().client.set_topics(topics)  # aiokafka's client


def written_topics(streams: Streams) -> set[str]:
    """The topics the worker writes: outputs, table changelogs, internal topics of agents."""
    app = streams.app
    topics = {output.topic for output in vars(streams.outputs).values()}
    topics |= {table.changelog_topic.get_topic_name() for table in app.tables.values()}
    return topics | {
        topic for agent in app.agents.values() if agent.channel.internal
        for topic in agent.channel.topics
    }  # fmt: skip
