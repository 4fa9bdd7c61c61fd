"""Shared-secret authentication: a bearer token header or a secret segment of the URL path."""

from __future__ import annotations

import hmac

from bridge.errors import Unauthorized
from bridge.settings import Settings

BEARER = "bearer "


def authenticate(settings: Settings, authorization: str | None, path_secret: str | None) -> None:
    """Raise ``Unauthorized`` unless the request carries the shared secret.

    Comparison is constant-time; the message never says which part was wrong.
    """
    secret = settings.shared_secret
    if not secret:
        if settings.insecure_no_auth:
            return
        raise Unauthorized("authentication is not configured")
    offered = path_secret
    if offered is None and authorization and authorization[: len(BEARER)].lower() == BEARER:
        offered = authorization[len(BEARER) :].strip()
    if offered is None or not hmac.compare_digest(offered.encode(), secret.encode()):
        raise Unauthorized("missing or wrong webhook secret")
