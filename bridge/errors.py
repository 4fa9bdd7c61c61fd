"""The bridge's own exceptions, each mapped to exactly one HTTP outcome in ``bridge.http``."""

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


class BodyTooLarge(BridgeError):
    status = 413
    code = "body_too_large"


class UnsupportedMediaType(BridgeError):
    status = 415
    code = "unsupported_media_type"


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


class SchemaMismatch(Exception):
    """A JSON body that does not fit its schema: dead-lettered with this reason.

    The reason names field paths and expected types, never values.
    """
