"""Standard Webhooks signatures: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``.

The signature is HMAC-SHA256 over ``id.timestamp.body`` (``v1,<base64>``, several separated by
spaces). Verification is the ``standardwebhooks`` package's, tried with each configured secret so
that secrets rotate without downtime; the timestamp is checked here first so that the sender hears
which of the two failed (neither answer tells anything about a secret).
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bridge.errors import ConfigError, InvalidHeader, Unauthorized

logger = logging.getLogger(__name__)

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SIGNATURE_HEADERS = (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)
TOLERANCE_SECONDS = 5 * 60
SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
MAX_ID_LENGTH = 255


@dataclass(frozen=True)
class SignedHeaders:
    """The three Standard Webhooks headers as received (any may be missing)."""

    webhook_id: str | None
    timestamp: str | None
    signature: str | None

    def as_dict(self) -> dict[str, str]:
        values = zip(
            SIGNATURE_HEADERS, (self.webhook_id, self.timestamp, self.signature), strict=True
        )
        return {name: value for name, value in values if value is not None}


def signed_headers(headers: Mapping[str, str]) -> SignedHeaders | None:
    """The request's signature headers, or None when it carries none of them."""
    found = SignedHeaders(*(headers.get(name) for name in SIGNATURE_HEADERS))
    return None if found == SignedHeaders(None, None, None) else found


def webhook_id(headers: Mapping[str, str]) -> str | None:
    """The ``webhook-id`` header, which becomes the event id; ``InvalidHeader`` when unusable."""
    value = headers.get(ID_HEADER)
    if value is None:
        return None
    if not 0 < len(value) <= MAX_ID_LENGTH or not all("!" <= char <= "~" for char in value):
        raise InvalidHeader(
            f"{ID_HEADER} must be 1 to {MAX_ID_LENGTH} printable ASCII characters without spaces"
        )
    return value


def _decode_secret(secret: str, position: int) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ConfigError(f"DOCINK_SIGNING_SECRETS item {position} does not start with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"DOCINK_SIGNING_SECRETS item {position} is not valid base64") from None
    if len(key) < 16:
        raise ConfigError(f"DOCINK_SIGNING_SECRETS item {position} is shorter than 16 bytes")
    return key


class SignatureVerifier:
    """Verifies Standard Webhooks signatures against every configured signing secret."""

    def __init__(self, secrets: Sequence[str]) -> None:
        self._webhooks = [
            Webhook(_decode_secret(secret, n)) for n, secret in enumerate(secrets, start=1)
        ]

    @property
    def configured(self) -> bool:
        return bool(self._webhooks)

    def verify(self, body: bytes, signed: SignedHeaders) -> None:
        """Return when one secret's signature matches; else raise ``Unauthorized``."""
        if not (signed.webhook_id and signed.timestamp and signed.signature):
            raise Unauthorized("incomplete webhook signature headers")
        if not _timestamp_within_tolerance(signed.timestamp, time.time()):
            logger.info("webhook signature rejected: timestamp outside tolerance")
            raise Unauthorized("webhook-timestamp is missing, malformed or outside the tolerance")
        headers = signed.as_dict()
        for webhook in self._webhooks:
            try:
                webhook.verify(body, headers, json_parse=False)
            except WebhookVerificationError:
                continue
            return
        logger.info("webhook signature rejected: no signature matches a signing secret")
        raise Unauthorized("invalid webhook signature")


def _timestamp_within_tolerance(timestamp: str, now: float) -> bool:
    if (
        not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12
    ):  # integer seconds, as the spec says
        return False
    return abs(int(timestamp) - now) <= TOLERANCE_SECONDS
