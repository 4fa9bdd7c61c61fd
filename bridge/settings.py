"""Typed, frozen settings, read from ``DOCINK_*`` environment variables when asked for."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from bridge.errors import ConfigError

KAFKA_PASSTHROUGH_PREFIX = "DOCINK_KAFKA_"
LOG_FORMATS = ("json", "text")


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def split_secrets(value: str | None) -> tuple[str, ...]:
    """``"new, old"`` -> ``("new", "old")``: several secrets at once, so they can rotate."""
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _log_format(value: str) -> str:
    """``json`` (one object per line) or ``text``."""
    chosen = value.strip().lower()
    if chosen not in LOG_FORMATS:
        raise ValueError(f"DOCINK_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    return chosen


def _rate(value: str | None, default: str | None) -> str | None:
    """A rate limit such as ``200/second``; empty, ``0`` or ``off`` turns it off."""
    if value is None:
        return default
    return None if value.strip().lower() in {"", "0", "off", "none"} else value.strip()


@dataclass(frozen=True)
class Settings:
    """Everything the bridge and the stream workers are configured by."""

    bootstrap_servers: str = "127.0.0.1:9092"
    schema_registry_url: str = "http://127.0.0.1:8081"
    shared_secret: str | None = field(default=None, repr=False)  # comma-separated: rotation
    signing_secrets: tuple[str, ...] = field(default=(), repr=False)  # Standard Webhooks whsec_
    insecure_no_auth: bool = False
    token_fingerprint_key: bytes | None = field(default=None, repr=False)
    topic_prefix: str = "docink"
    topic_partitions: int = 6
    topic_replication: int = 1
    max_body_bytes: int = 1024 * 1024
    ack_timeout_seconds: float = 10.0
    retry_after_seconds: int = 5
    rate_limit_global: str | None = "2000/second"  # per worker process
    rate_limit_per_org: str | None = "200/second"  # per worker process and organization
    max_in_flight: int = 28  # requests waiting on Kafka at once, per worker process
    dedup_window_seconds: float = 600.0  # 0 turns duplicate suppression off
    dedup_max_ids: int = 100_000
    auto_register_schemas: bool = False
    log_level: str = "INFO"
    log_format: str = "json"  # or "text"
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
                signing_secrets=split_secrets(env.get("DOCINK_SIGNING_SECRETS")),
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
                rate_limit_global=_rate(
                    env.get("DOCINK_RATE_LIMIT_GLOBAL"), defaults.rate_limit_global
                ),
                rate_limit_per_org=_rate(
                    env.get("DOCINK_RATE_LIMIT_PER_ORG"), defaults.rate_limit_per_org
                ),
                max_in_flight=int(env.get("DOCINK_MAX_IN_FLIGHT", defaults.max_in_flight)),
                dedup_window_seconds=float(
                    env.get("DOCINK_DEDUP_WINDOW_SECONDS", defaults.dedup_window_seconds)
                ),
                dedup_max_ids=int(env.get("DOCINK_DEDUP_MAX_IDS", defaults.dedup_max_ids)),
                auto_register_schemas=_flag(env.get("DOCINK_AUTO_REGISTER_SCHEMAS")),
                log_level=env.get("DOCINK_LOG_LEVEL", defaults.log_level),
                log_format=_log_format(env.get("DOCINK_LOG_FORMAT", defaults.log_format)),
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
        """Refuse to serve webhooks without a secret (shared or signing), unless explicitly
        insecure."""
        if not self.shared_secrets and not self.signing_secrets and not self.insecure_no_auth:
            raise ConfigError(
                "DOCINK_SHARED_SECRET is not set; set it (or DOCINK_SIGNING_SECRETS), or set "
                "DOCINK_INSECURE_NO_AUTH=1 for local development only"
            )
        if self.max_in_flight < 1:
            raise ConfigError("DOCINK_MAX_IN_FLIGHT must be at least 1")

    @property
    def shared_secrets(self) -> tuple[str, ...]:
        """Every accepted shared secret: ``DOCINK_SHARED_SECRET`` split at commas."""
        return split_secrets(self.shared_secret)

    @property
    def fingerprint_key(self) -> bytes:
        """Key for token fingerprints: its own setting, else derived from the first (current)
        shared secret, so adding an older secret for rotation keeps fingerprints stable."""
        if self.token_fingerprint_key:
            return self.token_fingerprint_key
        current = self.shared_secrets[0] if self.shared_secrets else ""
        return ("docink-token-fingerprint:" + current).encode()


def _kafka_passthrough(env: Mapping[str, str]) -> dict[str, str]:
    """``DOCINK_KAFKA_SECURITY_PROTOCOL=SASL_SSL`` becomes ``security.protocol``."""
    return {
        name[len(KAFKA_PASSTHROUGH_PREFIX) :].lower().replace("_", "."): value
        for name, value in env.items()
        if name.startswith(KAFKA_PASSTHROUGH_PREFIX)
    }
