"""Avro codecs (Confluent wire format) per catalog type, built once and shared by every request."""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka.error import SerializationError
from confluent_kafka.schema_registry import SchemaRegistryClient, SchemaRegistryError
from confluent_kafka.schema_registry.avro import AvroSerializer

# The registry client raises httpx's errors, from httpx or httpx2, whichever it found.
from confluent_kafka.schema_registry.common._httpx_compat import httpx
from confluent_kafka.serialization import MessageField, SerializationContext

from bridge.catalog import ALL_TYPES, EventType, subject
from bridge.errors import RegistryUnavailable, SchemaMismatch
from bridge.schemas import registry_schema
from bridge.settings import Settings

logger = logging.getLogger(__name__)

UNREACHABLE_ERRORS = (httpx.HTTPError,)


def registry_client(settings: Settings) -> SchemaRegistryClient:
    """A registry client for ``settings.schema_registry_url`` (``mock://`` in unit tests)."""
    return SchemaRegistryClient.new_client({"url": settings.schema_registry_url, "timeout": 5})


class AvroEncoder:
    """Encodes records of every catalog type; each schema id is fetched once, then cached."""

    def __init__(
        self, registry: SchemaRegistryClient, topic_prefix: str, auto_register: bool = False
    ) -> None:
        self.topic_prefix = topic_prefix
        conf = {"auto.register.schemas": auto_register, "use.latest.version": False}
        self._serializers = {
            event_type: AvroSerializer(registry, registry_schema(event_type), conf=conf)
            for event_type in ALL_TYPES
        }

    def encode(self, event_type: EventType, record: dict[str, Any]) -> bytes:
        """The Confluent wire-format bytes of ``record`` for ``event_type``'s topic."""
        topic = event_type.topic(self.topic_prefix)
        context = SerializationContext(topic, MessageField.VALUE)
        try:
            return self._serializers[event_type](record, context)
        except SchemaRegistryError as exc:
            logger.error(
                "schema registry refused subject=%s status=%s code=%s; are the schemas "
                "registered (docink schemas register)?",
                subject(topic),
                exc.http_status_code,
                exc.error_code,
            )
            raise RegistryUnavailable("the schema registry is not ready") from exc
        except UNREACHABLE_ERRORS as exc:
            logger.error("schema registry unreachable: %s", type(exc).__name__)
            raise RegistryUnavailable("the schema registry is unreachable") from exc
        except (SerializationError, ValueError, TypeError) as exc:
            raise SchemaMismatch(f"record does not encode as {event_type.name}") from exc
