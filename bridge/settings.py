"""Typed, frozen settings, read from ``DOCINK_*`` environment variables when asked for."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from bridge.errors import ConfigError

KAFKA_PASSTHROUGH_PREFIX = "DOCINK_KAFKA_"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything the bridge and the stream workers are configured by."""

    bootstrap_servers: str = "127.0.0.1:9092"
    schema_registry_url: str = "http://127.0.0.1:8081"
    shared_secret: str | None = field(default=None, repr=False)
    insecure_no_auth: bool = False
    token_fingerprint_key: bytes | None = field(default=None, repr=False)
    topic_prefix: str = "docink"
    topic_partitions: int = 6
    topic_replication: int = 1
    max_body_bytes: int = 1024 * 1024
    ack_timeout_seconds: float = 10.0
    retry_after_seconds: int = 5
    auto_register_schemas: bool = False
    kafka_config: Mapping[str, str] = field(default_factory=dict, repr=False)
    streams_web_host: str = "127.0.0.1"
    streams_web_port: int = 6066
    streams_canonical_url: str | None = None
    streams_store: str = "memory://"
    streams_data_dir: str = "docink-streams-data"
    streams_session_timeout_seconds: float = 30.0
    streams_processing_guarantee: str = "at_least_once"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``environ`` (the process environment when None)."""
        env = os.environ if environ is None else environ
        defaults = cls()
        try:
            key = env.get("DOCINK_TOKEN_FINGERPRINT_KEY")
            return cls(
                bootstrap_servers=env.get("DOCINK_BOOTSTRAP_SERVERS", defaults.bootstrap_servers),
                schema_registry_url=env.get(
                    "DOCINK_SCHEMA_REGISTRY_URL", defaults.schema_registry_url
                ),
                shared_secret=env.get("DOCINK_SHARED_SECRET") or None,
                insecure_no_auth=_flag(env.get("DOCINK_INSECURE_NO_AUTH")),
                token_fingerprint_key=key.encode() if key else None,
                topic_prefix=env.get("DOCINK_TOPIC_PREFIX", defaults.topic_prefix),
                topic_partitions=int(env.get("DOCINK_TOPIC_PARTITIONS", defaults.topic_partitions)),
                topic_replication=int(
                    env.get("DOCINK_TOPIC_REPLICATION", defaults.topic_replication)
                ),
                max_body_bytes=int(env.get("DOCINK_MAX_BODY_BYTES", defaults.max_body_bytes)),
                ack_timeout_seconds=float(
                    env.get("DOCINK_ACK_TIMEOUT_SECONDS", defaults.ack_timeout_seconds)
                ),
                retry_after_seconds=int(
                    env.get("DOCINK_RETRY_AFTER_SECONDS", defaults.retry_after_seconds)
                ),
                auto_register_schemas=_flag(env.get("DOCINK_AUTO_REGISTER_SCHEMAS")),
                kafka_config=_kafka_passthrough(env),
                streams_web_host=env.get("DOCINK_STREAMS_WEB_HOST", defaults.streams_web_host),
                streams_web_port=int(env.get("DOCINK_STREAMS_WEB_PORT", defaults.streams_web_port)),
                streams_canonical_url=env.get("DOCINK_STREAMS_CANONICAL_URL") or None,
                streams_store=env.get("DOCINK_STREAMS_STORE", defaults.streams_store),
                streams_data_dir=env.get("DOCINK_STREAMS_DATA_DIR", defaults.streams_data_dir),
                streams_processing_guarantee=env.get(
                    "DOCINK_STREAMS_PROCESSING_GUARANTEE", defaults.streams_processing_guarantee
                ),
                streams_session_timeout_seconds=float(
                    env.get(
                        "DOCINK_STREAMS_SESSION_TIMEOUT_SECONDS",
                        defaults.streams_session_timeout_seconds,
                    )
                ),
            )
        except ValueError as exc:
            raise ConfigError(f"invalid DOCINK_* setting: {exc}") from exc

    def require_auth(self) -> None:
        """Refuse to serve webhooks without a shared secret, unless explicitly insecure."""
        if not self.shared_secret and not self.insecure_no_auth:
            raise ConfigError(
                "DOCINK_SHARED_SECRET is not set; set it, or set DOCINK_INSECURE_NO_AUTH=1 "
                "for local development only"
            )

    @property
    def fingerprint_key(self) -> bytes:
        """Key for token fingerprints: its own setting, else derived from the shared secret."""
        if self.token_fingerprint_key:
            return self.token_fingerprint_key
        return ("docink-token-fingerprint:" + (self.shared_secret or "")).encode()


def _kafka_passthrough(env: Mapping[str, str]) -> dict[str, str]:
    """``DOCINK_KAFKA_SECURITY_PROTOCOL=SASL_SSL`` becomes ``security.protocol``."""
    return {
        name[len(KAFKA_PASSTHROUGH_PREFIX) :].lower().replace("_", "."): value
        for name, value in env.items()
        if name.startswith(KAFKA_PASSTHROUGH_PREFIX)
    }
