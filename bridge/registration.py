"""Registers every `.avsc` under its subject, with a compatibility rule that guards evolution."""

from __future__ import annotations

import logging

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.common.schema_registry_client import (
    ConfigCompatibilityLevel,
    ServerConfig,
)

from bridge.catalog import ALL_TYPES, subject
from bridge.schemas import registry_schema

logger = logging.getLogger(__name__)

# New schema versions must still read old records: evolve by adding fields with defaults.
COMPATIBILITY = ServerConfig(compatibility=ConfigCompatibilityLevel.BACKWARD)


def register_schemas(registry: SchemaRegistryClient, topic_prefix: str) -> dict[str, int]:
    """Register each catalog schema (idempotent); returns ``{subject: schema id}``."""
    ids = {}
    for event_type in ALL_TYPES:
        name = subject(event_type.topic(topic_prefix))
        registry.set_config(name, COMPATIBILITY)
        ids[name] = registry.register_schema(name, registry_schema(event_type))
        logger.info("schema subject=%s id=%d", name, ids[name])
    return ids
