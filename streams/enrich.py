"""Agent ``enrich_events``: every bridge event, once, in one common shape, with its org's name;
bot installs with token problems raise alerts; unknown event names go to the alert throttle;
device orders are routed to their counting by program."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import faust

from bridge.catalog import (
    ALERTS_TYPE,
    ENRICHED_TYPE,
    EVENT_TYPES,
    UNKNOWN_TYPE,
    lookup,
    normalize_event_name,
)
from streams.alerting import token_alert
from streams.app import Streams
from streams.batches import batch_agent, each
from streams.enrichment import enriched_record, millis
from streams.rpm import OrderRouting
from streams.tables import FastTable

logger = logging.getLogger(__name__)

ENRICHING = "enrich_events"
BOT_INSTALLATION = lookup("bot-installation")
# Redeliveries within this window are recognized by event id (DocInk and bridge retries).
SEEN_EVENTS_EXPIRY = timedelta(days=7)
SEEN_EVENTS_EXPIRY_MS = int(SEEN_EVENTS_EXPIRY.total_seconds() * 1000)


def is_duplicate(first_seen_ms: int | None, now_ms: int) -> bool:
    """Whether an event id first seen at ``first_seen_ms`` is, at ``now_ms``, a redelivery."""
    return first_seen_ms is not None and now_ms - first_seen_ms < SEEN_EVENTS_EXPIRY_MS


def register(
    streams: Streams, unknown_names: faust.TopicT, routing: Callable[[], OrderRouting]
) -> faust.types.AgentT:
    """Register ``enrich_events`` on ``streams.app``."""
    app = streams.app
    # Keyed by event id / org uuid within the bridge topics' partitions (all keyed by org).
    seen_events = FastTable(app, app.Table("seen_events", key_type=str, value_type=int))
    org_names = FastTable(app, app.Table("org_names", key_type=str, value_type=str))

    async def enrich(event: faust.EventT, routed: OrderRouting) -> None:
        event_type, record = await streams.decode(event)
        # Redeliveries too: counting is idempotent, and the seen id may have reached Kafka
        # before a crash when the routed change did not.
        routed.add(event_type, record)
        topic = event.message.topic
        now = datetime.now(UTC)
        now_ms = millis(now)
        event_id = record["event_id"]
        if is_duplicate(seen_events.get(event_id), now_ms):
            logger.info("duplicate event_id=%s topic=%s skipped", event_id, topic)
            return
        org = str(record["org_uuid"]) if record.get("org_uuid") is not None else None
        if event_type is BOT_INSTALLATION and org and record["payload"].get("org_name"):
            await org_names.set(org, record["payload"]["org_name"], event.message.partition)
        org_name = org_names.get(org) if org else None

        enriched = enriched_record(record, event_type, topic, org_name)
        value = await streams.codec.encode(ENRICHED_TYPE, enriched)
        await streams.outputs.enriched.send(key=event.key, value=value)
        if event_type is BOT_INSTALLATION and (alert := token_alert(record, org_name, now)):
            value = await streams.codec.encode(ALERTS_TYPE, alert)
            await streams.outputs.alerts.send(key=event.key, value=value)
            logger.info("alert kind=%s event_id=%s", alert["kind"], event_id)
        if event_type is UNKNOWN_TYPE:
            name = normalize_event_name(record["event_name"])
            seen = {
                "event_id": event_id,
                "org_uuid": record.get("org_uuid"),
                "org_name": org_name,
                "event_time_ms": millis(record["event_time"]) if record.get("event_time") else None,
            }
            await unknown_names.send(key=name, value=json.dumps(seen).encode())
        await seen_events.set(event_id, now_ms, event.message.partition)

    async def enrich_batch(events: Sequence[faust.EventT]) -> None:
        routed = routing()
        await each(streams, ENRICHING, events, lambda event: enrich(event, routed))
        await routed.send()

    topics = streams.raw_topic(*EVENT_TYPES, UNKNOWN_TYPE)
    return batch_agent(streams, topics, ENRICHING, enrich_batch)
