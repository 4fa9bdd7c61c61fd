"""Pure logic of the enriched stream: one common shape for every event."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bridge.catalog import UNKNOWN_TYPE, EventType, normalize_event_name
from bridge.records import EXTRA_FIELD


def millis(moment: datetime) -> int:
    """Milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def plain(value: Any) -> Any:
    """A decoded record as plain JSON data, with each ``extra_json`` merged back into its object."""
    if isinstance(value, dict):
        merged = {key: plain(item) for key, item in value.items() if key != EXTRA_FIELD}
        if value.get(EXTRA_FIELD):
            merged.update(json.loads(value[EXTRA_FIELD]))
        return merged
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def enriched_record(
    record: dict[str, Any], event_type: EventType, source_topic: str, org_name: str | None
) -> dict[str, Any]:
    """The ``events.enriched`` record of a decoded bridge record."""
    if event_type is UNKNOWN_TYPE:
        name = normalize_event_name(record["event_name"])
        payload_json = record.get("payload_json") or "null"
    else:
        name = event_type.name
        payload_json = json.dumps(plain(record["payload"]), ensure_ascii=False)
    event_time, received_at = record.get("event_time"), record["received_at"]
    return {
        "event_id": record["event_id"],
        "event_name": name,
        "category": event_type.category,
        "org_uuid": record.get("org_uuid"),
        "org_name": org_name,
        "event_time": event_time,
        "received_at": received_at,
        "ingest_lag_ms": millis(received_at) - millis(event_time) if event_time else None,
        "payload_json": payload_json,
        "source_topic": source_topic,
    }
