"""The agents' outputs and table changelogs, sent through librdkafka instead of aiokafka.

aiokafka's producer is pure Python: each send, and each record's batching, compression and
delivery report, runs on the worker's one busy thread. librdkafka does that work in its own
threads, outside the GIL; what is left on the worker's thread is one ``produce()`` call.

At-least-once rests, as before, on Faust flushing its producer before it commits offsets:
``FlushingProducer`` is Faust's producer whose flush also waits for every record sent here, and
fails when one could not be delivered, so the offsets of the events that made it are never
committed (the worker stops; its events are handled again when it starts).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, Message, Producer
from faust.exceptions import ProducerSendError
from faust.transport.drivers import aiokafka

from bridge.publisher import producer_config
from bridge.settings import Settings

logger = logging.getLogger(__name__)

# Records wait this long to fill a batch (the bridge answers per record and does not wait).
LINGER_MS = 10
# librdkafka retries an idempotent record until this timeout; then it is a failed delivery.
DELIVERY_TIMEOUT_MS = 120_000
# While librdkafka's queue is full, or records are being flushed: how often to look again.
WAIT_SECONDS = 0.005

Delivered = Callable[[KafkaError | None, Message], None]


def keeps_changelog_offsets(store: str) -> bool:
    """Whether tables in ``store`` (a Faust store URL) keep the changelog offset they have:
    only they need a report of each record delivered."""
    return not store.startswith("memory:")


def agent_producer_config(settings: Settings) -> dict[str, object]:
    """The bridge's producer settings (idempotent, acks=all, lz4, Java's key hashing, so a key
    lands where Faust's producer put it), batching for throughput."""
    return {
        **producer_config(settings),
        "linger.ms": LINGER_MS,
        "message.timeout.ms": DELIVERY_TIMEOUT_MS,
        # A success report is a Python call per record.
        "delivery.report.only.error": not keeps_changelog_offsets(settings.streams_store),
        **settings.kafka_config,
    }


class AgentProducer:
    """A librdkafka producer for the agents' records, created at the first send (in the worker,
    once its event loop runs) and served by ``poll(0)`` at each send and while flushing."""

    def __init__(self, config: dict[str, object]) -> None:
        self._config = config
        self._producer: Producer | None = None
        self._failed: list[str] = []

    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            self._producer = Producer({**self._config, "on_delivery": self._reported})
        return self._producer

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        partition: int | None = None,
        on_delivered: Delivered | None = None,
    ) -> None:
        """Queue one record (``partition`` None: by its key); waits while librdkafka's queue
        is full. ``on_delivered``: a callback made by ``reporter`` (None: failures are logged)."""
        producer = self._ensure_producer()
        while True:
            try:
                producer.produce(
                    topic, value, key, -1 if partition is None else partition, on_delivered
                )
                break
            except BufferError:
                producer.poll(0)
                await asyncio.sleep(WAIT_SECONDS)
        producer.poll(0)

    def reporter(self, on_delivered: Callable[[Message], None]) -> Delivered:
        """A delivery callback for ``send`` that calls ``on_delivered`` with each record Kafka
        has (when the producer reports successes: see ``agent_producer_config``)."""

        def reported(error: KafkaError | None, message: Message) -> None:
            if error is None:
                on_delivered(message)
            else:
                self._reported(error, message)

        return reported

    def _reported(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            # The error's name only: librdkafka's message may quote what was sent.
            logger.error("publishing to topic=%s failed: %s", message.topic(), error.name())
            self._failed.append(message.topic())

    async def flush(self) -> None:
        """Wait until Kafka has every record sent so far, or raise ``ProducerSendError`` when
        one could not be delivered (since the last flush)."""
        producer = self._producer
        if producer is not None:
            while producer.poll(0) or len(producer):
                await asyncio.sleep(WAIT_SECONDS)
        if self._failed:
            topics, self._failed = sorted(set(self._failed)), []
            raise ProducerSendError(f"records to {', '.join(topics)} could not be delivered")


class FlushingProducer(aiokafka.Producer):
    """Faust's producer; its flush, which comes before every offset commit, also flushes the
    agents' producer."""

    def __init__(self, *args: Any, agent_producer: AgentProducer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agent_producer = agent_producer

    async def flush(self) -> None:
        await super().flush()
        await self.agent_producer.flush()
