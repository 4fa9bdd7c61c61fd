"""Agent ``alert_unknown_events``: at most one alert per hour for each event name no schema knows.

Names are repartitioned by name, so the hourly limit holds across workers.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import faust

from bridge.catalog import ALERTS_TYPE
from streams.alerting import Kind, alert, unknown_alert_due
from streams.app import Streams
from streams.deadletters import guarded_agent
from streams.enrichment import millis

logger = logging.getLogger(__name__)


def register(streams: Streams) -> faust.TopicT:
    """Register ``alert_unknown_events``; returns the topic that feeds it (keyed by name)."""
    app = streams.app
    unknown_names = app.topic(
        f"{app.conf.id}-unknown-event-names", key_type=str, value_type=bytes,
        key_serializer="raw", value_serializer="raw", internal=True,
    )  # fmt: skip
    last_alerts = app.Table("unknown_event_alerts", key_type=str, value_type=int)

    async def check(event: faust.EventT) -> None:
        name, seen = event.key, json.loads(event.value)
        now = datetime.now(UTC)
        if not unknown_alert_due(last_alerts.get(name), millis(now)):
            return
        event_time_ms = seen.get("event_time_ms")
        record = alert(
            Kind.UNKNOWN_EVENT_TYPE,
            f"no schema knows the event name {name!r} yet; its events are on the unknown topic",
            now,
            org_uuid=seen.get("org_uuid"),
            org_name=seen.get("org_name"),
            event_id=seen.get("event_id"),
            event_time=datetime.fromtimestamp(event_time_ms / 1000, UTC) if event_time_ms else None,
        )
        value = await streams.codec.encode(ALERTS_TYPE, record)
        await streams.outputs.alerts.send(key=name.encode(), value=value)
        last_alerts[name] = millis(now)
        logger.info("alert kind=%s name=%s", record["kind"], name)

    guarded_agent(streams, unknown_names, "alert_unknown_events", check)
    return unknown_names
