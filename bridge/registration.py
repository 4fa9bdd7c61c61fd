"""Registers every `.avsc` under its subject, with a compatibility rule that guards evolution."""

from __future__ import annotations

import logging
from pathlib import Path

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.common.schema_registry_client import (
    ConfigCompatibilityLevel,
    ServerConfig,
)
from confluent_kafka.schema_registry.error import SchemaRegistryError

from bridge.catalog import ALL_TYPES, subject
from bridge.schemas import registry_schema

logger = logging.getLogger(__name__)

# New schema versions must still read old records: evolve by adding fields with defaults.
COMPATIBILITY = ServerConfig(compatibility=ConfigCompatibilityLevel.BACKWARD)


class SchemaRefused(Exception):
    """The registry refused a schema (incompatible with the subject's latest, or invalid)."""

    def __init__(self, subject: str, reason: str) -> None:
        super().__init__(f"the registry refused the schema of {subject}: {reason}")
        self.subject = subject


def catalog_schemas(topic_prefix: str, avro_dir: Path | None = None) -> dict[str, Schema]:
    """``{subject: schema}`` for each catalog type: from ``avro/``, or from the ``.avsc``
    files of ``avro_dir`` (an edited copy to try before committing it)."""
    return {
        subject(event_type.topic(topic_prefix)): registry_schema(event_type)
        if avro_dir is None
        else Schema((avro_dir / event_type.schema_file).read_text(encoding="utf-8"), "AVRO")
        for event_type in ALL_TYPES
    }


def register_schemas(
    registry: SchemaRegistryClient, topic_prefix: str, avro_dir: Path | None = None
) -> dict[str, int]:
    """Register each catalog schema (idempotent); returns ``{subject: schema id}``.

    Raises ``SchemaRefused`` for the first schema the registry refuses; those before it stay
    registered.
    """
    ids = {}
    for name, schema in catalog_schemas(topic_prefix, avro_dir).items():
        registry.set_config(name, COMPATIBILITY)
        try:
            ids[name] = registry.register_schema(name, schema)
        except SchemaRegistryError as exc:
            if not 400 <= exc.http_status_code < 500:
                raise
            raise SchemaRefused(name, exc.error_message) from exc
        logger.info("schema subject=%s id=%d", name, ids[name])
    return ids
