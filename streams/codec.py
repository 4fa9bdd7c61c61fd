"""Avro in and out of the agents (Confluent wire format), without blocking the event loop on the
schema registry and without per-record registry work.

Each writer schema id (decoding) and each output type's registered id (encoding) is fetched
from the registry once, in a thread, retrying while the registry is unreachable; after that
records are read and written inline with fastavro: the catalog schema is the reader schema, as
with confluent-kafka's ``AvroDeserializer``, at a third of its cost per record.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from confluent_kafka.schema_registry import SchemaRegistryClient, SchemaRegistryError
from fastavro import parse_schema, schemaless_reader
from fastavro.read import SchemaResolutionError

from bridge.catalog import EventType
from bridge.codec import MAGIC_BYTE, UNREACHABLE_ERRORS, WIRE_HEADER, registered_id, wire_bytes
from bridge.errors import RegistryUnavailable
from bridge.schemas import parsed_schema

logger = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")
RETRY_BACKOFF_SECONDS = (0.5, 1, 2, 5)
DECODE_ERRORS = (
    ValueError, TypeError, EOFError, IndexError, KeyError, SchemaResolutionError,
    SchemaRegistryError,
)  # fmt: skip


class Undecodable(Exception):
    """A record that is not a valid Avro record of its topic: dead-lettered with this reason."""


class StreamCodec:
    """Decodes the bridge's topics and encodes the agents' outputs."""

    def __init__(self, registry: SchemaRegistryClient, topic_prefix: str) -> None:
        self._registry = registry
        self._topic_prefix = topic_prefix
        self._writers: dict[int, Any] = {}  # parsed writer schema by id
        # (writer, reader) by writer schema id and catalog type; reader None: the same schema
        self._schemas: dict[tuple[int, EventType], tuple[Any, Any]] = {}
        self._ids: dict[EventType, int] = {}  # registered id of each output type

    async def decode(self, event_type: EventType, value: bytes | None) -> dict[str, Any]:
        """The record in ``value``, read with ``event_type``'s schema; ``Undecodable`` if not."""
        if not value or len(value) < WIRE_HEADER.size:
            raise Undecodable("not Confluent wire format: too short")
        magic, schema_id = WIRE_HEADER.unpack_from(value)
        if magic != MAGIC_BYTE:
            raise Undecodable("not Confluent wire format: bad magic byte")
        try:
            schemas = self._schemas.get((schema_id, event_type))
            if schemas is None:
                writer = await self._cached(self._writers, schema_id, self._writer_schema)
                reader = parsed_schema(event_type)
                # fastavro compares the two on every record to skip resolving equal schemas
                schemas = (writer, None if writer == reader else reader)
                self._schemas[(schema_id, event_type)] = schemas
            payload = io.BytesIO(value)
            payload.seek(WIRE_HEADER.size)
            return schemaless_reader(payload, *schemas)
        except DECODE_ERRORS as exc:
            raise Undecodable(f"not a {event_type.name} record: {type(exc).__name__}") from exc

    async def encode(self, event_type: EventType, record: dict[str, Any]) -> bytes:
        """``record`` in the Confluent wire format of ``event_type``'s topic."""
        schema_id = self._ids.get(event_type)
        if schema_id is None:  # (an id may be 0)
            schema_id = await self._cached(self._ids, event_type, self._registered_id)
        return wire_bytes(schema_id, event_type, record)

    def _writer_schema(self, schema_id: int) -> Any:
        return parse_schema(json.loads(self._registry.get_schema(schema_id).schema_str))

    def _registered_id(self, event_type: EventType) -> int:
        return registered_id(self._registry, event_type, self._topic_prefix)

    async def _cached(self, cache: dict[K, V], key: K, fetch: Callable[[K], V]) -> V:
        """``cache[key]``, fetched in a thread the first time, retrying while the registry is
        unreachable (the agent waits rather than losing the record)."""
        if key in cache:
            return cache[key]
        for attempt in itertools.count():
            try:
                value = await asyncio.get_running_loop().run_in_executor(None, fetch, key)
            except (*UNREACHABLE_ERRORS, RegistryUnavailable) as exc:
                delay = RETRY_BACKOFF_SECONDS[min(attempt, len(RETRY_BACKOFF_SECONDS) - 1)]
                logger.warning(
                    "schema registry unavailable (%s); retrying in %ss", type(exc).__name__, delay
                )
                await asyncio.sleep(delay)
            else:
                cache[key] = value
                return value
        raise AssertionError("unreachable")
