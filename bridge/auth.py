"""Shared-secret authentication: a bearer token header or a secret segment of the URL path."""

from __future__ import annotations

import hmac

from bridge.errors import Unauthorized
from bridge.settings import Settings

BEARER = "bearer "


def authenticate(settings: Settings, authorization: str | None, path_secret: str | None) -> None:
    """Raise ``Unauthorized`` unless the request carries one of the shared secrets.

    Every configured secret is compared, in constant time, so that secrets can rotate; the
    message never says which part was wrong.
    """
    secrets = settings.shared_secrets
    if not secrets:
        if settings.insecure_no_auth:
            return
        raise Unauthorized("missing or wrong webhook secret")
    offered = path_secret
    if offered is None and authorization and authorization[: len(BEARER)].lower() == BEARER:
        offered = authorization[len(BEARER) :].strip()
    if offered is None or not matches_any(offered, secrets):
        raise Unauthorized("missing or wrong webhook secret")


def matches_any(offered: str, secrets: tuple[str, ...]) -> bool:
    """Whether ``offered`` is one of ``secrets``; compares against all of them, in constant time."""
    candidate = offered.encode("utf-8", "surrogateescape")
    found = False
    for secret in secrets:
        found |= hmac.compare_digest(candidate, secret.encode())
    return found
