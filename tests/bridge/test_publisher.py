"""KafkaPublisher's waiting logic, driven by a scripted stand-in for the librdkafka producer."""

from __future__ import annotations

import threading

import pytest
from confluent_kafka import KafkaError

from bridge.errors import BrokerUnavailable, DeliveryTimeout
from bridge.publisher import KafkaPublisher, producer_config
from bridge.settings import Settings


class FakeMessage:
    def partition(self) -> int:
        return 3

    def offset(self) -> int:
        return 42


class ScriptedProducer:
    """Calls each delivery callback from ``poll`` with ``error``; ``silent`` never reports."""

    def __init__(self, error: KafkaError | None = None, silent: bool = False, full: int = 0):
        self.error, self.silent, self.full = error, silent, full
        self.pending: list = []
        self.lock = threading.Lock()
        self.flushed = self.closed = False

    def produce(self, topic, value, key, headers, on_delivery) -> None:
        if self.full:
            self.full -= 1
            raise BufferError("queue full")
        with self.lock:
            self.pending.append(on_delivery)

    def poll(self, timeout: float) -> int:
        with self.lock:
            callbacks, self.pending = (
                ([] if self.silent else self.pending),
                (self.pending if self.silent else []),
            )
        for callback in callbacks:
            callback(self.error, FakeMessage())
        threading.Event().wait(min(timeout, 0.01))
        return len(callbacks)

    def flush(self, timeout: float) -> int:
        self.flushed = True
        return 0

    def close(self) -> bool:
        self.closed = True
        return True


def publish(producer: ScriptedProducer, ack_timeout: float = 1.0):
    publisher = KafkaPublisher(producer, ack_timeout, poll_interval=0.01)
    try:
        return publisher.publish("t", b"k", b"v", [("event-id", b"1")])
    finally:
        publisher.close()


def test_returns_where_kafka_stored_it():
    delivered = publish(ScriptedProducer())
    assert (delivered.topic, delivered.partition, delivered.offset) == ("t", 3, 42)


def test_failed_delivery_report_is_broker_unavailable():
    with pytest.raises(BrokerUnavailable):
        publish(ScriptedProducer(error=KafkaError(KafkaError._MSG_TIMED_OUT)))


def test_no_report_in_time_is_delivery_timeout():
    with pytest.raises(DeliveryTimeout):
        publish(ScriptedProducer(silent=True), ack_timeout=0.05)


def test_full_queue_is_retried_a_bounded_number_of_times():
    assert publish(ScriptedProducer(full=2)).offset == 42
    with pytest.raises(BrokerUnavailable, match="too many"):
        publish(ScriptedProducer(full=3))


def test_close_flushes_what_is_queued():
    producer = ScriptedProducer()
    publisher = KafkaPublisher(producer, 1.0, poll_interval=0.01)
    publisher.close()
    publisher.close()
    assert producer.flushed and producer.closed


def test_producer_is_idempotent_with_acks_all_and_a_bounded_message_timeout():
    config = producer_config(Settings(ack_timeout_seconds=3, kafka_config={"client.id": "x"}))
    assert config["enable.idempotence"] is True
    assert config["acks"] == "all"
    assert config["message.timeout.ms"] == 3000
    assert config["client.id"] == "x"
