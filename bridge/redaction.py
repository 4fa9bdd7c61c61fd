"""Keeps secrets out of records: token facts instead of tokens, redacted secret-named keys."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

REDACTED = "[REDACTED]"
SECRET_KEYS = frozenset(
    {
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "bot_token",
        "secret",
        "client_secret",
        "password",
        "api_key",
        "apikey",
        "authorization",
    }
)
FINGERPRINT_HEX_DIGITS = 16


def redact(value: Any) -> Any:
    """A copy of a JSON value with every secret-named key's value replaced by ``[REDACTED]``."""
    if isinstance(value, dict):
        return {
            key: REDACTED if _is_secret(key) and item is not None else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _is_secret(key: str) -> bool:
    return key.strip().lower().replace("-", "_") in SECRET_KEYS


@dataclass(frozen=True)
class TokenFacts:
    """What the records say about a bot token in its place."""

    present: bool
    fingerprint: str | None
    is_jwt: bool
    expires_at: datetime | None


def token_facts(token: object, key: bytes) -> TokenFacts:
    """Facts about ``token``; its signature is not verified (we hold no DocInk key)."""
    if token is None or token == "":
        return TokenFacts(present=False, fingerprint=None, is_jwt=False, expires_at=None)
    text = token if isinstance(token, str) else json.dumps(token, sort_keys=True)
    digest = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
    claims = _jwt_claims(text) if isinstance(token, str) else None
    return TokenFacts(
        present=True,
        fingerprint=digest[:FINGERPRINT_HEX_DIGITS],
        is_jwt=claims is not None,
        expires_at=_expiry(claims) if claims else None,
    )


def _jwt_claims(token: str) -> dict[str, Any] | None:
    """The claims of a well-formed compact JWS (header.claims.signature), else None."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return None
    try:
        header, claims = (json.loads(_b64url(part)) for part in parts[:2])
        _b64url(parts[2])
    except (ValueError, binascii.Error):
        return None
    if not isinstance(header, dict) or "alg" not in header or not isinstance(claims, dict):
        return None
    return claims


def _b64url(part: str) -> bytes:
    return base64.b64decode(part + "=" * (-len(part) % 4), altchars=b"-_", validate=True)


def _expiry(claims: dict[str, Any]) -> datetime | None:
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    try:
        return datetime.fromtimestamp(exp, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
