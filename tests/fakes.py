"""Test doubles that stand in for Kafka in unit tests (never in integration tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.errors import BrokerUnavailable
from bridge.publisher import Delivered, Headers


@dataclass
class Published:
    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]


@dataclass
class RecordingPublisher:
    """Records what it is asked to publish; ``failing`` makes it behave like a broker outage."""

    published: list[Published] = field(default_factory=list)
    failing: bool = False
    closed: bool = False

    def publish(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> Delivered:
        if self.failing:
            raise BrokerUnavailable("Kafka did not accept the event")
        self.published.append(Published(topic, key, value, dict(headers)))
        return Delivered(topic, 0, len(self.published) - 1)

    def ready(self, timeout: float) -> bool:
        return not self.failing

    def close(self) -> None:
        self.closed = True
