"""Publishes to Kafka and waits for each record's own delivery report; never flushes per request."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from bridge import metrics
from bridge.errors import BrokerUnavailable, DeliveryTimeout
from bridge.settings import Settings

logger = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]
BUFFER_FULL_RETRIES = 3
BUFFER_FULL_BACKOFF_SECONDS = 0.05
# How long past the producer's own message timeout to wait for its (failed) delivery report.
REPORT_GRACE_SECONDS = 1.0
# Delivery failure reasons of our own; a failed delivery report counts under librdkafka's error
# name instead (``msg_timed_out``, ``not_enough_replicas``...).
NO_REPORT = "no_report"
QUEUE_FULL = "queue_full"
PRODUCE_REFUSED = "produce_refused"


@dataclass(frozen=True)
class Delivered:
    """Where Kafka stored a record."""

    topic: str
    partition: int
    offset: int


class Publishing(Protocol):
    """What the bridge needs from a publisher; unit tests pass a recording fake."""

    def publish(
        self, topic: str, key: bytes | None, value: bytes, headers: Headers
    ) -> Delivered: ...

    def ready(self, timeout: float) -> bool: ...

    def close(self) -> None: ...


def producer_config(settings: Settings) -> dict[str, object]:
    """librdkafka settings: idempotent, acks=all, and a message timeout equal to the ack timeout
    so a record is either confirmed or definitely failed by the time the sender hears back."""
    return {
        "bootstrap.servers": settings.bootstrap_servers,
        "enable.idempotence": True,
        "acks": "all",
        # Each request waits for its own ack: don't hold records back. librdkafka's default of
        # 5 ms took ~20% more requests/s at saturation (the broker's CPU per record halved), but
        # p50 rose by 5 ms and p99 at 1,000 requests/s from ~6 ms to 28-53 ms. Records still
        # batch while others are in flight. DOCINK_KAFKA_LINGER_MS=5 favours throughput.
        "linger.ms": 0,
        "socket.nagle.disable": True,
        "partitioner": "murmur2_random",  # as Java clients and Faust hash keys
        "compression.type": "lz4",
        "message.timeout.ms": int(settings.ack_timeout_seconds * 1000),
        "reconnect.backoff.max.ms": 1000,
        "socket.connection.setup.timeout.ms": 5000,
        "logger": logging.getLogger("librdkafka"),  # served by poll(), through Python logging
        **settings.kafka_config,
    }


class KafkaPublisher:
    """A confluent-kafka producer with a poll thread that serves delivery reports."""

    def __init__(self, producer: Producer, ack_timeout: float, poll_interval: float = 0.1) -> None:
        self._producer = producer
        self._wait = ack_timeout + REPORT_GRACE_SECONDS
        self._closing = threading.Event()
        self._poll_interval = poll_interval
        self._poller = threading.Thread(target=self._poll, name="kafka-delivery-poll", daemon=True)
        self._poller.start()

    @classmethod
    def from_settings(cls, settings: Settings) -> KafkaPublisher:
        return cls(Producer(producer_config(settings)), settings.ack_timeout_seconds)

    def _poll(self) -> None:
        while not self._closing.is_set():
            self._producer.poll(self._poll_interval)

    def publish(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> Delivered:
        """Produce one record and block until Kafka confirmed it; raise when it did not."""
        done = threading.Event()
        report: list[tuple[KafkaError | None, Message, float]] = []

        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            report.append((err, msg, time.perf_counter()))
            done.set()

        produced_at = time.perf_counter()
        self._produce(topic, key, value, headers, on_delivery)
        if not done.wait(self._wait):
            logger.warning("no delivery report within %.1fs topic=%s", self._wait, topic)
            metrics.delivery_failures(NO_REPORT).inc()
            raise DeliveryTimeout("Kafka did not confirm the event in time")
        err, msg, reported_at = report[0]
        if err is not None:
            logger.warning("delivery failed topic=%s error=%s", topic, err.name())
            metrics.delivery_failures(err.name().lower().lstrip("_")).inc()
            raise BrokerUnavailable("Kafka did not accept the event")
        metrics.publish_seconds(topic).observe(reported_at - produced_at)
        return Delivered(topic, msg.partition(), msg.offset())

    def _produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        headers: Headers,
        on_delivery: Callable[[KafkaError | None, Message], None],
    ) -> None:
        for attempt in range(BUFFER_FULL_RETRIES):
            try:
                self._producer.produce(
                    topic, value=value, key=key, headers=list(headers), on_delivery=on_delivery
                )
                return
            except BufferError:
                logger.warning("producer queue full topic=%s attempt=%d", topic, attempt + 1)
                time.sleep(BUFFER_FULL_BACKOFF_SECONDS)
            except KafkaException as exc:
                logger.warning("produce refused topic=%s error=%s", topic, exc.args[0].name())
                metrics.delivery_failures(PRODUCE_REFUSED).inc()
                raise BrokerUnavailable("Kafka refused the event") from exc
        metrics.delivery_failures(QUEUE_FULL).inc()
        raise BrokerUnavailable("too many events are waiting for Kafka")

    def ready(self, timeout: float) -> bool:
        """Whether a broker answers a metadata request within ``timeout`` seconds."""
        try:
            self._producer.list_topics(timeout=timeout)
        except KafkaException:
            return False
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Stop polling, deliver what is queued for at most ``timeout`` seconds, drop the rest."""
        if self._closing.is_set():
            return
        self._closing.set()
        self._poller.join()
        remaining = self._producer.flush(timeout)
        if remaining:
            logger.warning("closing with %d undelivered records; purging them", remaining)
            self._producer.purge()
            self._producer.poll(0)
        self._producer.close()
