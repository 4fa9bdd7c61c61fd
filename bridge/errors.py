"""The bridge's own exceptions, each mapped to exactly one HTTP outcome in ``bridge.http_errors``.

Messages are shown to the sender and logged: they never hold a secret, a signature or a value
from the body."""

from __future__ import annotations


class ConfigError(Exception):
    """The service is misconfigured and refuses to start."""


class BridgeError(Exception):
    """A request that ends with an error status; ``message`` is safe to show the sender."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthorized(BridgeError):
    status = 401
    code = "unauthorized"


class InvalidBody(BridgeError):
    status = 400
    code = "invalid_body"


class InvalidHeader(BridgeError):
    status = 400
    code = "invalid_header"


class BodyTooLarge(BridgeError):
    status = 413
    code = "body_too_large"


class UnsupportedMediaType(BridgeError):
    status = 415
    code = "unsupported_media_type"


class RateLimited(BridgeError):
    """Too many requests: answered 429 with ``Retry-After: retry_after``."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(BridgeError):
    """The sender should retry later: answered 503 with Retry-After."""

    status = 503
    code = "unavailable"


class BrokerUnavailable(Unavailable):
    code = "broker_unavailable"


class DeliveryTimeout(Unavailable):
    code = "delivery_timeout"


class RegistryUnavailable(Unavailable):
    code = "registry_unavailable"


class Overloaded(Unavailable):
    """Too many requests are already waiting on Kafka in this process."""

    code = "overloaded"


class SchemaMismatch(Exception):
    """A JSON body that does not fit its schema: dead-lettered with this reason.

    The reason names field paths and expected types, never values.
    """
