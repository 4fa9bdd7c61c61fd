"""``POST /webhooks/docink``: authenticate, parse, publish, and answer once Kafka has it."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, request

from bridge import services as bridge_services
from bridge.auth import authenticate
from bridge.errors import BodyTooLarge, InvalidBody, UnsupportedMediaType

blueprint = Blueprint("webhooks", __name__)

ACCEPTED = 202


@blueprint.post("/webhooks/docink")
@blueprint.post("/webhooks/docink/<path:path_secret>")
def receive(path_secret: str | None = None) -> tuple[dict[str, Any], int]:
    services = bridge_services.current()
    authenticate(services.settings, request.headers.get("Authorization"), path_secret)
    _check_content_type(request.mimetype)
    if (request.content_length or 0) > services.settings.max_body_bytes:
        raise BodyTooLarge(f"body exceeds {services.settings.max_body_bytes} bytes")
    body = parse_body(request.get_data(cache=False))
    ingested = services.ingestor.ingest(body, request.content_type)
    routed = ingested.routed
    answer: dict[str, Any] = {
        "status": "dead_lettered" if routed.dead_lettered else "accepted",
        "event_id": routed.event_id,
        "topic": ingested.delivered.topic,
    }
    if routed.reason:
        answer["reason"] = routed.reason
    return answer, ACCEPTED


def _check_content_type(mimetype: str) -> None:
    """JSON media types pass; a missing one is taken as JSON; anything else is refused."""
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType("send the webhook as application/json")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or ``InvalidBody`` saying what is wrong (never what it holds)."""
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        raise InvalidBody("body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidBody("body must be a JSON object")
    return body
