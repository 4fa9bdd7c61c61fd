"""The event catalog: the one source of truth for event name -> topic -> schema -> subject.

The bridge and the stream agents both import it, so they cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNKNOWN = "unknown"
DEADLETTER = "deadletter"

_SEPARATORS = re.compile(r"[\s._-]+")


def normalize_event_name(name: str) -> str:
    """Case, ``-``, ``_``, ``.`` and spaces are equivalent: ``Task Created`` -> ``task-created``."""
    return _SEPARATORS.sub("-", name.strip().lower()).strip("-")


@dataclass(frozen=True, eq=False)
class EventType:
    """One kind of DocInk event, its Avro schema file and its topic. Each is one of the
    catalog's, compared (and hashed, on every event) by identity."""

    name: str
    category: str
    aliases: tuple[str, ...] = ()

    @property
    def schema_file(self) -> str:
        return f"{self.name}.avsc"

    def topic(self, prefix: str) -> str:
        return f"{prefix}.{self.name}"


EVENT_TYPES: tuple[EventType, ...] = (
    EventType("bot-installation", "installation"),
    EventType("bot-uninstallation", "installation"),
    EventType("device-order-created", "rpm"),
    EventType("device-order-updated", "rpm"),
    EventType("device-order-deleted", "rpm"),
    EventType("appointment-confirmed", "schedule"),
    EventType("appointment-cancelled", "schedule", aliases=("appointment-canceled",)),
    EventType("task-created", "tasks"),
    EventType("task-updated", "tasks"),
    EventType("task-deleted", "tasks"),
    EventType("voice-pager-number-created", "communication"),
    EventType("voice-pager-number-deleted", "communication"),
)

# Records that are not DocInk events but still have a topic and a schema of their own.
UNKNOWN_TYPE = EventType(UNKNOWN, "unknown")
DEADLETTER_TYPE = EventType(DEADLETTER, "deadletter")
BRIDGE_TYPES: tuple[EventType, ...] = (*EVENT_TYPES, UNKNOWN_TYPE, DEADLETTER_TYPE)

# What the stream agents (streams/) publish.
ENRICHED_TYPE = EventType("events.enriched", "derived")
RPM_COUNTS_TYPE = EventType("rpm-program-device-orders", "derived")
ALERTS_TYPE = EventType("alerts", "derived")
STREAMS_DEADLETTER_TYPE = EventType("streams.deadletter", "deadletter")
STREAM_TYPES: tuple[EventType, ...] = (
    ENRICHED_TYPE,
    RPM_COUNTS_TYPE,
    ALERTS_TYPE,
    STREAMS_DEADLETTER_TYPE,
)

ALL_TYPES: tuple[EventType, ...] = (*BRIDGE_TYPES, *STREAM_TYPES)

_BY_NAME = {
    normalize_event_name(alias): event_type
    for event_type in EVENT_TYPES
    for alias in (event_type.name, *event_type.aliases)
}


def lookup(event_name: str) -> EventType | None:
    """The event type for a name as DocInk spells it, or None when no schema knows it."""
    return _BY_NAME.get(normalize_event_name(event_name))


def subject(topic: str) -> str:
    """Schema Registry subject of a topic's values (Confluent's TopicNameStrategy)."""
    return f"{topic}-value"
