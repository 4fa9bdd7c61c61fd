"""Pure logic of the alerts: bot-token facts and the unknown-event throttle."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What an alert is about."""

    WITHOUT_TOKEN = "bot_install_without_token"  # noqa: S105 (alert kinds, not secrets)
    TOKEN_MALFORMED = "bot_token_malformed"  # noqa: S105
    TOKEN_EXPIRED = "bot_token_expired"  # noqa: S105
    UNKNOWN_EVENT_TYPE = "unknown_event_type"


UNKNOWN_ALERT_INTERVAL = timedelta(hours=1)


def alert(
    kind: Kind,
    detail: str,
    detected_at: datetime,
    *,
    org_uuid: int | None = None,
    org_name: str | None = None,
    event_id: str | None = None,
    event_time: datetime | None = None,
) -> dict[str, Any]:
    """An ``alerts`` record."""
    return {
        "kind": str(kind),
        "org_uuid": org_uuid,
        "org_name": org_name,
        "event_id": event_id,
        "event_time": event_time,
        "detected_at": detected_at,
        "detail": detail,
    }


def token_alert(
    record: dict[str, Any], org_name: str | None, detected_at: datetime
) -> dict[str, Any] | None:
    """The alert a decoded bot-installation record raises, from the bridge's token facts."""
    payload = record["payload"]
    expires_at = payload.get("token_expires_at")
    if not payload["token_present"]:
        kind, detail = Kind.WITHOUT_TOKEN, "bot installed without an access token"
    elif not payload["token_is_jwt"]:
        kind, detail = Kind.TOKEN_MALFORMED, "bot access token is not a well-formed JWT"
    elif expires_at is not None and expires_at <= record["event_time"]:
        kind, detail = Kind.TOKEN_EXPIRED, f"bot access token expired at {expires_at.isoformat()}"
    else:
        return None
    return alert(
        kind,
        detail,
        detected_at,
        org_uuid=record["org_uuid"],
        org_name=org_name,
        event_id=record["event_id"],
        event_time=record["event_time"],
    )


def unknown_alert_due(last_alert_ms: int | None, now_ms: int) -> bool:
    """Whether an event name no schema knows is due an alert (at most one per hour per name)."""
    interval_ms = int(UNKNOWN_ALERT_INTERVAL.total_seconds() * 1000)
    return last_alert_ms is None or now_ms - last_alert_ms >= interval_ms
