"""Loads the ``.avsc`` files of ``avro/`` by path; nothing here inlines a schema."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from confluent_kafka.schema_registry import Schema
from fastavro import parse_schema

from bridge.catalog import EventType

_PACKAGED = Path(__file__).parent / "avro"  # a wheel ships avro/ inside the package
_CHECKOUT = Path(__file__).parent.parent / "avro"  # a checkout or an editable install


def schema_dir() -> Path:
    """The folder holding the ``.avsc`` files."""
    return _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT


@cache
def schema_text(event_type: EventType) -> str:
    """The schema of ``event_type`` exactly as written in its ``.avsc`` file."""
    return (schema_dir() / event_type.schema_file).read_text(encoding="utf-8")


@cache
def schema_json(event_type: EventType) -> dict[str, Any]:
    """The schema as a JSON document; shared, so never mutate it."""
    return json.loads(schema_text(event_type))


@cache
def registry_schema(event_type: EventType) -> Schema:
    """The schema as the registry client registers and looks it up (one object for both)."""
    return Schema(schema_text(event_type), "AVRO")


@cache
def parsed_schema(event_type: EventType) -> Any:
    """The schema as fastavro reads and writes with it."""
    return parse_schema(schema_json(event_type))
