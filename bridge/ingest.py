"""The bridge's work for one webhook, free of HTTP: route, encode, publish, confirm."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bridge.catalog import DEADLETTER_TYPE, normalize_event_name
from bridge.codec import AvroEncoder
from bridge.errors import SchemaMismatch
from bridge.publisher import Delivered, Publishing
from bridge.routing import Routed, dead_letter, route

logger = logging.getLogger(__name__)

CONTENT_TYPE = b"application/vnd.confluent.avro"


@dataclass(frozen=True)
class Ingested:
    """A webhook that Kafka has confirmed, and where."""

    routed: Routed
    delivered: Delivered


class Ingestor:
    """Turns parsed webhook bodies into confirmed Kafka records."""

    def __init__(self, encoder: AvroEncoder, publisher: Publishing, fingerprint_key: bytes) -> None:
        self._encoder = encoder
        self._publisher = publisher
        self._fingerprint_key = fingerprint_key

    def ingest(self, body: dict[str, Any], content_type: str | None = None) -> Ingested:
        """Publish ``body`` to its topic (or unknown, or deadletter) and wait for Kafka.

        Raises ``Unavailable`` subclasses when Kafka or the registry cannot take it now.
        """
        received_at = datetime.now(UTC)
        routed = route(body, received_at, self._fingerprint_key, content_type)
        try:
            value = self._encoder.encode(routed.event_type, routed.record)
        except SchemaMismatch as exc:
            logger.error("routed record failed to encode event_id=%s", routed.event_id)
            routed = dead_letter(body, received_at, str(exc), content_type)
            value = self._encoder.encode(DEADLETTER_TYPE, routed.record)
        topic = routed.event_type.topic(self._encoder.topic_prefix)
        delivered = self._publisher.publish(topic, routed.key, value, _headers(routed, received_at))
        logger.info(
            "published event_id=%s event_type=%s topic=%s partition=%d offset=%d",
            routed.event_id,
            routed.event_type.name,
            delivered.topic,
            delivered.partition,
            delivered.offset,
        )
        return Ingested(routed, delivered)


def _headers(routed: Routed, received_at: datetime) -> list[tuple[str, bytes]]:
    headers = [
        ("event-id", routed.event_id.encode()),
        ("received-at", received_at.isoformat(timespec="milliseconds").encode()),
        ("content-type", CONTENT_TYPE),
    ]
    if routed.event_name is not None:
        headers.append(("event-name", normalize_event_name(routed.event_name).encode("utf-8")))
    return headers
