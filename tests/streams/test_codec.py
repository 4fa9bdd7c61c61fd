import io
import json
from datetime import UTC, datetime

import pytest
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from bridge.catalog import ENRICHED_TYPE, lookup
from bridge.codec import AvroEncoder
from bridge.routing import route
from bridge.schemas import registry_schema
from streams.codec import StreamCodec, Undecodable
from streams.enrichment import enriched_record

DEVICE_ORDER = lookup("device_order_created")
TOPIC = "docink.device-order-created"


@pytest.fixture
def codec(registry) -> StreamCodec:
    return StreamCodec(registry, "docink")


@pytest.fixture
def encoded(registry, device_order_created) -> bytes:
    record = route(device_order_created, datetime.now(UTC), b"k").record
    return AvroEncoder(registry, "docink").encode(DEVICE_ORDER, record)


async def test_decodes_as_the_avro_deserializer_does(codec, registry, encoded):
    expected = AvroDeserializer(registry, registry_schema(DEVICE_ORDER))(
        encoded, SerializationContext(TOPIC, MessageField.VALUE)
    )
    assert await codec.decode(DEVICE_ORDER, encoded) == expected
    assert await codec.decode(DEVICE_ORDER, encoded) == expected  # the schema cached


async def test_encodes_what_the_avro_deserializer_reads(codec, registry, encoded):
    record = enriched_record(await codec.decode(DEVICE_ORDER, encoded), DEVICE_ORDER, TOPIC, "x")
    value = await codec.encode(ENRICHED_TYPE, record)
    context = SerializationContext("docink.events.enriched", MessageField.VALUE)
    assert AvroDeserializer(registry)(value, context) == record
    assert value == AvroEncoder(registry, "docink").encode(ENRICHED_TYPE, record)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", "not Confluent wire format: too short"),
        (b"\x01\x00\x00\x00\x01abc", "not Confluent wire format: bad magic byte"),
        (b"\x00\x00\x00\x99\x99abc", "not a device-order-created record: SchemaRegistryError"),
    ],
)
async def test_undecodable(codec, value, reason):
    with pytest.raises(Undecodable, match=reason):
        await codec.decode(DEVICE_ORDER, value)


async def test_truncated_record_is_undecodable(codec, encoded):
    with pytest.raises(Undecodable, match="not a device-order-created record"):
        await codec.decode(DEVICE_ORDER, encoded[:20])


async def test_a_record_of_an_older_writer_schema_is_read_with_the_catalog_schema(
    codec, registry, device_order_created
):
    """Equal writer and reader schemas are read without resolution; others still resolve."""
    from confluent_kafka.schema_registry import Schema
    from fastavro import parse_schema, schemaless_writer

    from bridge.codec import MAGIC_BYTE, WIRE_HEADER
    from bridge.schemas import schema_json

    older = {**schema_json(DEVICE_ORDER)}
    older["fields"] = [field for field in older["fields"] if field["name"] != "extra_json"]
    schema_id = registry.register_schema(f"{TOPIC}-value", Schema(json.dumps(older), "AVRO"))
    record = route(device_order_created, datetime.now(UTC), b"k").record
    out = io.BytesIO()
    out.write(WIRE_HEADER.pack(MAGIC_BYTE, schema_id))
    schemaless_writer(out, parse_schema(older), record)

    for _ in range(2):  # (the second time from the cache)
        decoded = await codec.decode(DEVICE_ORDER, out.getvalue())
        assert decoded["extra_json"] is None  # the reader's default
        assert decoded["event_id"] == record["event_id"]
