"""Decides where a webhook goes (its own topic, unknown or deadletter) and as what record."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.catalog import DEADLETTER_TYPE, UNKNOWN_TYPE, EventType, lookup
from bridge.errors import SchemaMismatch
from bridge.records import json_type, to_record
from bridge.redaction import redact, token_facts
from bridge.schemas import schema_json

# uuid5 namespace of this project's event ids; changing it changes every id.
EVENT_ID_NAMESPACE = uuid.UUID("5b0d3f52-6c1e-4d61-9a53-2f4c1e0a7d90")
ENVELOPE_ALIASES = {"app_id": "app_uuid", "org_id": "org_uuid"}
BOT_INSTALLATION = "bot-installation"


@dataclass(frozen=True)
class Routed:
    """A webhook turned into the record of one catalog type."""

    event_type: EventType
    record: dict[str, Any]
    event_id: str
    event_name: str | None
    key: bytes | None
    reason: str | None = None

    @property
    def dead_lettered(self) -> bool:
        return self.event_type is DEADLETTER_TYPE


def canonical_envelope(body: dict[str, Any]) -> dict[str, Any]:
    """The body with DocInk's alternative field spellings (``app_id``, ``org_id``) renamed."""
    envelope = dict(body)
    for alias, name in ENVELOPE_ALIASES.items():
        if alias in envelope and name not in envelope:
            envelope[name] = envelope.pop(alias)
    return envelope


def event_id(envelope: dict[str, Any]) -> str:
    """A stable id of the envelope's canonical JSON: the same webhook twice gets the same id."""
    canonical = json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, canonical))


def route(
    body: dict[str, Any],
    received_at: datetime,
    fingerprint_key: bytes,
    content_type: str | None = None,
    given_id: str | None = None,
) -> Routed:
    """Route one parsed webhook body; never raises for a body that does not fit.

    ``given_id`` (the sender's ``webhook-id``) is the event id when there is one; else the id is
    derived from the envelope.
    """
    envelope = canonical_envelope(body)
    eid = given_id or event_id(envelope)
    name = envelope.get("event_name")
    event_type = lookup(name) if isinstance(name, str) else None
    try:
        if not isinstance(name, str):
            raise SchemaMismatch(f"event_name: expected string, got {json_type(name)}")
        if event_type is None:
            record = _unknown_record(envelope, eid, received_at)
            return Routed(UNKNOWN_TYPE, record, eid, name, _key(envelope))
        record = _event_record(event_type, envelope, eid, received_at, fingerprint_key)
        return Routed(event_type, record, eid, name, _key(envelope))
    except SchemaMismatch as exc:
        return dead_letter(body, received_at, str(exc), content_type, given_id)


def dead_letter(
    body: dict[str, Any],
    received_at: datetime,
    reason: str,
    content_type: str | None = None,
    given_id: str | None = None,
) -> Routed:
    """The dead letter of a body that did not fit its schema, keeping the whole body."""
    envelope = canonical_envelope(body)
    name = envelope.get("event_name")
    named = isinstance(name, str)
    intended = (lookup(name) or UNKNOWN_TYPE) if named else None
    record = {
        "event_id": given_id or event_id(envelope),
        "event_name": name if named else None,
        "org_uuid": _org(envelope),
        "received_at": received_at,
        "intended_event_type": intended.name if intended else None,
        "reason": reason,
        "body": json.dumps(redact(body), ensure_ascii=False, separators=(",", ":")),
        "content_type": content_type,
    }
    return Routed(
        DEADLETTER_TYPE, record, record["event_id"], record["event_name"], _key(envelope), reason
    )


def _event_record(
    event_type: EventType,
    envelope: dict[str, Any],
    eid: str,
    received_at: datetime,
    fingerprint_key: bytes,
) -> dict[str, Any]:
    candidate = {**envelope, "event_id": eid, "received_at": received_at}
    payload = envelope.get("payload")
    if event_type.name == BOT_INSTALLATION and isinstance(payload, dict):
        candidate["payload"] = _without_token(payload, fingerprint_key)
    return to_record(candidate, schema_json(event_type))


def _without_token(payload: dict[str, Any], key: bytes) -> dict[str, Any]:
    facts = token_facts(payload.get("token"), key)
    rest = {name: value for name, value in payload.items() if name != "token"}
    return {
        **rest,
        "token_present": facts.present,
        "token_fingerprint": facts.fingerprint,
        "token_is_jwt": facts.is_jwt,
        "token_expires_at": facts.expires_at,
    }


def _unknown_record(envelope: dict[str, Any], eid: str, received_at: datetime) -> dict[str, Any]:
    candidate = {name: value for name, value in envelope.items() if name != "payload"}
    candidate.update(event_id=eid, received_at=received_at)
    if "payload" in envelope:
        payload = redact(envelope["payload"])
        candidate["payload_json"] = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return to_record(candidate, schema_json(UNKNOWN_TYPE))


def organization(body: dict[str, Any]) -> int | None:
    """The body's ``org_uuid`` (or ``org_id``) when it is a 64-bit integer, else None."""
    return _org(canonical_envelope(body))


def _org(envelope: dict[str, Any]) -> int | None:
    org = envelope.get("org_uuid")
    if isinstance(org, bool) or not isinstance(org, int) or not -(2**63) <= org < 2**63:
        return None
    return org


def _key(envelope: dict[str, Any]) -> bytes | None:
    """Record key: the organization, so one organization's events stay in order."""
    org = _org(envelope)
    return None if org is None else str(org).encode()
