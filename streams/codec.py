"""Avro in and out of the agents without blocking the event loop on the schema registry.

Decoding uses one AvroDeserializer per topic, with the catalog schema as reader schema. The
first record of each schema id (and the first encode of each type) runs in a thread; after that
the schema is cached and records are decoded inline.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import struct
from collections.abc import Callable
from typing import Any, TypeVar

from confluent_kafka.error import SerializationError
from confluent_kafka.schema_registry import SchemaRegistryClient, SchemaRegistryError
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from bridge.catalog import EventType
from bridge.codec import UNREACHABLE_ERRORS, AvroEncoder
from bridge.errors import RegistryUnavailable
from bridge.schemas import registry_schema

logger = logging.getLogger(__name__)

T = TypeVar("T")
WIRE_HEADER = struct.Struct(">bI")
MAGIC_BYTE = 0
RETRY_BACKOFF_SECONDS = (0.5, 1, 2, 5)


class Undecodable(Exception):
    """A record that is not a valid Avro record of its topic: dead-lettered with this reason."""


class StreamCodec:
    """Decodes the bridge's topics and encodes the agents' outputs."""

    def __init__(self, registry: SchemaRegistryClient, topic_prefix: str) -> None:
        self._registry = registry
        self._encoder = AvroEncoder(registry, topic_prefix)
        self._decoders: dict[EventType, AvroDeserializer] = {}
        self._warm: set[tuple[str, object]] = set()

    async def decode(self, event_type: EventType, topic: str, value: bytes | None) -> dict:
        """The record in ``value``, read with ``event_type``'s schema; ``Undecodable`` if not."""
        if not value or len(value) < WIRE_HEADER.size:
            raise Undecodable("not Confluent wire format: too short")
        magic, schema_id = WIRE_HEADER.unpack_from(value)
        if magic != MAGIC_BYTE:
            raise Undecodable("not Confluent wire format: bad magic byte")
        decoder = self._decoder(event_type)
        context = SerializationContext(topic, MessageField.VALUE)
        try:
            return await self._call(("decode", schema_id), decoder, value, context)
        except (SerializationError, SchemaRegistryError, ValueError, TypeError, EOFError) as exc:
            raise Undecodable(f"not a {event_type.name} record: {type(exc).__name__}") from exc

    async def encode(self, event_type: EventType, record: dict[str, Any]) -> bytes:
        """``record`` in the Confluent wire format of ``event_type``'s topic."""
        return await self._call(("encode", event_type), self._encoder.encode, event_type, record)

    def _decoder(self, event_type: EventType) -> AvroDeserializer:
        if event_type not in self._decoders:
            self._decoders[event_type] = AvroDeserializer(
                self._registry, registry_schema(event_type)
            )
        return self._decoders[event_type]

    async def _call(self, warm_key: tuple[str, object], function: Callable[..., T], *args) -> T:
        """Inline once ``warm_key``'s schema is cached; before that in a thread, retrying while
        the registry is unreachable (the agent waits rather than losing the record)."""
        if warm_key in self._warm:
            return function(*args)
        for attempt in itertools.count():
            try:
                result = await asyncio.get_running_loop().run_in_executor(None, function, *args)
            except (*UNREACHABLE_ERRORS, RegistryUnavailable) as exc:
                delay = RETRY_BACKOFF_SECONDS[min(attempt, len(RETRY_BACKOFF_SECONDS) - 1)]
                logger.warning(
                    "schema registry unavailable (%s); retrying in %ss", type(exc).__name__, delay
                )
                await asyncio.sleep(delay)
            else:
                self._warm.add(warm_key)
                return result
        raise AssertionError("unreachable")
