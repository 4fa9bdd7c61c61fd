"""The bridge's work for one webhook, free of HTTP: route, suppress duplicates, encode, publish,
confirm."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bridge import logs, metrics
from bridge.catalog import DEADLETTER_TYPE, normalize_event_name
from bridge.codec import AvroEncoder
from bridge.dedup import SeenEvents
from bridge.errors import SchemaMismatch
from bridge.in_flight import InFlightBound
from bridge.publisher import Delivered, Publishing
from bridge.routing import Routed, dead_letter, route

logger = logging.getLogger(__name__)

CONTENT_TYPE = b"application/vnd.confluent.avro"
# Dead-letter reason categories (the reason itself names fields: too many values for a label).
NO_EVENT_NAME = "no_event_name"
SCHEMA_MISMATCH = "schema_mismatch"
ENCODING = "encoding"


@dataclass(frozen=True)
class Ingested:
    """A webhook that Kafka has confirmed, and where; or a duplicate of one (``delivered`` None)."""

    routed: Routed
    delivered: Delivered | None

    @property
    def duplicate(self) -> bool:
        return self.delivered is None


class Ingestor:
    """Turns parsed webhook bodies into confirmed Kafka records."""

    def __init__(
        self,
        encoder: AvroEncoder,
        publisher: Publishing,
        fingerprint_key: bytes,
        seen: SeenEvents | None = None,
        in_flight: InFlightBound | None = None,
    ) -> None:
        self._encoder = encoder
        self._publisher = publisher
        self._fingerprint_key = fingerprint_key
        self._seen = seen or SeenEvents(0, 0)
        self._in_flight = in_flight or InFlightBound(1_000_000)

    def ingest(
        self,
        body: dict[str, Any],
        content_type: str | None = None,
        given_id: str | None = None,
    ) -> Ingested:
        """Publish ``body`` to its topic (or unknown, or deadletter) and wait for Kafka; an event
        id confirmed within the duplicate window is not published again.

        Raises ``Unavailable`` subclasses when Kafka or the registry cannot take it now, or when
        too many events are already waiting for Kafka.
        """
        received_at = datetime.now(UTC)
        routed = route(body, received_at, self._fingerprint_key, content_type, given_id)
        logs.event_id.set(routed.event_id)
        if self._seen.seen(routed.event_id):
            logger.info("duplicate event_id=%s not published again", routed.event_id)
            return Ingested(routed, None)
        category = _dead_letter_category(routed)
        try:
            value = self._encoder.encode(routed.event_type, routed.record)
        except SchemaMismatch as exc:
            logger.error("routed record failed to encode event_id=%s", routed.event_id)
            routed = dead_letter(body, received_at, str(exc), content_type, given_id)
            value = self._encoder.encode(DEADLETTER_TYPE, routed.record)
            category = ENCODING
        topic = routed.event_type.topic(self._encoder.topic_prefix)
        headers = _headers(routed, received_at)
        # Only the wait for Kafka counts against the bound.
        with self._in_flight.slot(), metrics.IN_FLIGHT.track_inprogress():
            delivered = self._publisher.publish(topic, routed.key, value, headers)
        self._seen.remember(routed.event_id)
        if category is not None:
            metrics.dead_lettered(category).inc()
        # Per event at DEBUG only: a JSON line cost ~15% of a request; /metrics counts them, and
        # the record on its topic carries the event id in its headers.
        logger.debug(
            "published event_id=%s event_type=%s topic=%s partition=%d offset=%d",
            routed.event_id,
            routed.event_type.name,
            delivered.topic,
            delivered.partition,
            delivered.offset,
        )
        return Ingested(routed, delivered)


def _dead_letter_category(routed: Routed) -> str | None:
    """Why ``routed`` is a dead letter, as one of a few categories; None when it is not one."""
    if not routed.dead_lettered:
        return None
    return NO_EVENT_NAME if routed.event_name is None else SCHEMA_MISMATCH


def _headers(routed: Routed, received_at: datetime) -> list[tuple[str, bytes]]:
    headers = [
        ("event-id", routed.event_id.encode()),
        ("received-at", received_at.isoformat(timespec="milliseconds").encode()),
        ("content-type", CONTENT_TYPE),
    ]
    if routed.event_name is not None:
        headers.append(("event-name", normalize_event_name(routed.event_name).encode("utf-8")))
    return headers
