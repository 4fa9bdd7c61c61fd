"""Turns a parsed JSON value into the Avro record its ``.avsc`` describes, or says why not.

Fields a record schema does not name go to its ``extra_json`` field (secret-named keys redacted),
so nothing DocInk sends is dropped. Mismatch reasons name field paths and types, never values.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bridge.errors import SchemaMismatch
from bridge.redaction import redact

EXTRA_FIELD = "extra_json"
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def to_record(value: Any, schema: Any, path: str = "") -> Any:
    """``value`` converted to fit ``schema`` (a schema as read from an ``.avsc`` file)."""
    if isinstance(schema, list):
        return _union(value, schema, path)
    if isinstance(schema, str):
        return _primitive(value, schema, path)
    if schema.get("logicalType") == "timestamp-millis":
        return _timestamp(value, path)
    kind = schema["type"]
    if kind == "record":
        return _record(value, schema, path)
    if kind == "array":
        if not isinstance(value, list):
            raise _mismatch(path, "array", value)
        return [to_record(item, schema["items"], f"{path}[{i}]") for i, item in enumerate(value)]
    return to_record(value, kind, path)


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages that must not show the value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _mismatch(path: str, expected: str, value: Any) -> SchemaMismatch:
    return SchemaMismatch(f"{path or 'body'}: expected {expected}, got {json_type(value)}")


def _record(value: Any, schema: dict[str, Any], path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _mismatch(path, "object", value)
    names = {field["name"] for field in schema["fields"]}
    record: dict[str, Any] = {}
    for field in schema["fields"]:
        name = field["name"]
        if name == EXTRA_FIELD:
            extra = {key: item for key, item in value.items() if key not in names}
            record[name] = _extra_json(extra) if extra else None
        elif name in value:
            record[name] = to_record(value[name], field["type"], f"{path}.{name}".lstrip("."))
        elif "default" in field:
            record[name] = field["default"]
        else:
            raise SchemaMismatch(f"{path}.{name}: required field is missing".lstrip("."))
    return record


def _extra_json(extra: dict[str, Any]) -> str:
    return json.dumps(redact(extra), ensure_ascii=False, separators=(",", ":"))


def _union(value: Any, branches: list[Any], path: str) -> Any:
    if value is None and "null" in branches:
        return None
    error: SchemaMismatch | None = None
    for branch in branches:
        if branch == "null":
            continue
        try:
            return to_record(value, branch, path)
        except SchemaMismatch as exc:
            error = exc
    raise error or _mismatch(path, "null", value)


def _primitive(value: Any, kind: str, path: str) -> Any:
    if kind == "null":
        if value is not None:
            raise _mismatch(path, "null", value)
        return None
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _mismatch(path, "boolean", value)
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise _mismatch(path, "string", value)
        return value
    if kind in ("int", "long"):
        low, high = (_INT_MIN, _INT_MAX) if kind == "int" else (_LONG_MIN, _LONG_MAX)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _mismatch(path, "integer", value)
        if not low <= value <= high:
            raise SchemaMismatch(f"{path}: integer out of the {kind} range")
        return value
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _mismatch(path, "number", value)
        return float(value)
    raise SchemaMismatch(f"{path}: schema type {kind} is not supported")


def _timestamp(value: Any, path: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise _mismatch(path, "ISO-8601 date-time string", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise SchemaMismatch(f"{path}: expected ISO-8601 date-time, got another string") from None
    # DocInk sends offsets; a time without one is read as UTC rather than dead-lettered.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
