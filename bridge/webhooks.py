"""``POST /webhooks/docink``: limit, authenticate, parse, publish, and answer once Kafka has it.

Order: the global rate limit; authentication (a Standard Webhooks signature when the request
carries ``webhook-*`` headers and signing secrets are configured, else the shared secret); body
size, media type and JSON; the organization's rate limit; duplicate suppression and the bound on
requests waiting for Kafka (in ``Ingestor``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Blueprint, Response, g, request

from bridge import metrics
from bridge import services as bridge_services
from bridge.auth import authenticate
from bridge.errors import BodyTooLarge, InvalidBody, UnsupportedMediaType
from bridge.routing import organization
from bridge.services import Services
from bridge.signatures import signed_headers, webhook_id

blueprint = Blueprint("webhooks", __name__)

ACCEPTED = 202
DUPLICATE = 200
# DocInk's bodies nest a few levels; anything deeper is refused before it reaches recursive code.
MAX_NESTING = 32
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


@blueprint.post("/webhooks/docink")
@blueprint.post("/webhooks/docink/<path:path_secret>")
def receive(path_secret: str | None = None) -> tuple[dict[str, Any], int]:
    services = bridge_services.current()
    services.rate_limits.check_global()
    raw = _authenticated_body(services, path_secret)
    body = parse_body(raw)
    g.event_type = metrics.event_type_label(body)
    services.rate_limits.check_org(organization(body))
    ingested = services.ingestor.ingest(body, request.content_type, webhook_id(request.headers))
    routed = ingested.routed
    if ingested.delivered is None:
        return {"status": "duplicate", "event_id": routed.event_id}, DUPLICATE
    answer: dict[str, Any] = {
        "status": "dead_lettered" if routed.dead_lettered else "accepted",
        "event_id": routed.event_id,
        "topic": ingested.delivered.topic,
    }
    if routed.reason:
        answer["reason"] = routed.reason
    return answer, ACCEPTED


@blueprint.after_request
def count(response: Response) -> Response:
    """Count every webhook answer, errors included, by event type and status."""
    metrics.webhook_requests(g.get("event_type", metrics.NO_EVENT_TYPE), response.status_code).inc()
    return response


def _authenticated_body(services: Services, path_secret: str | None) -> bytes:
    """The raw body of an authenticated request; ``Unauthorized`` otherwise.

    With signing secrets configured, a request carrying any ``webhook-*`` header must verify,
    and a valid signature authenticates on its own (a bad one is refused whatever else it has).
    """
    signed = signed_headers(request.headers)
    if signed is not None and services.signatures.configured:
        raw = _read_body(services.settings.max_body_bytes)
        services.signatures.verify(raw, signed)
        _check_content_type(request.mimetype)
        return raw
    authenticate(services.settings, request.headers.get("Authorization"), path_secret)
    _check_content_type(request.mimetype)
    return _read_body(services.settings.max_body_bytes)


def _read_body(max_bytes: int) -> bytes:
    if (request.content_length or 0) > max_bytes:
        raise BodyTooLarge(f"body exceeds {max_bytes} bytes")
    return request.get_data(cache=False)


def _check_content_type(mimetype: str) -> None:
    """JSON media types pass; a missing one is taken as JSON; anything else is refused."""
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType("send the webhook as application/json")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("number out of range")
    return number


def parse_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or ``InvalidBody`` saying what is wrong (never what it holds)."""
    try:
        body = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        raise InvalidBody("body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidBody("body must be a JSON object")
    _check_shape(raw, body)
    return body


def _may_hold_surrogates(raw: bytes) -> bool:
    """Whether ``raw`` may decode to a lone surrogate: UTF-8 cannot hold one (json rejects it),
    so only a ``\\uD8xx``-``\\uDFxx`` escape can make one, or UTF-16/32 (where ASCII has
    NUL bytes)."""
    return b"\x00" in raw or SURROGATE_ESCAPE.search(raw) is not None


def _may_nest_deep(raw: bytes) -> bool:
    """Whether ``raw`` has enough brackets to nest deeper than ``MAX_NESTING``."""
    return raw.count(b"{") + raw.count(b"[") > MAX_NESTING


def _check_shape(raw: bytes, body: dict[str, Any]) -> None:
    """Refuse what later steps cannot carry: deep nesting, text that is not valid Unicode."""
    if not _may_nest_deep(raw) and not _may_hold_surrogates(raw):
        return  # the walk below would find nothing (most bodies: it costs ~10% of a request)
    pending: list[tuple[Any, int]] = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_NESTING:
                raise InvalidBody(f"body nests deeper than {MAX_NESTING} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key)
                pending.append((item, depth + 1))


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidBody("body holds a string that is not valid Unicode") from None
