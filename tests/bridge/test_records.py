from datetime import UTC, datetime, timedelta, timezone

import pytest

from bridge.errors import SchemaMismatch
from bridge.records import to_record

TS = {"type": "long", "logicalType": "timestamp-millis"}
SCHEMA = {
    "type": "record",
    "name": "R",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "when", "type": ["null", TS], "default": None},
        {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
        {"name": "flag", "type": ["null", "boolean"], "default": None},
        {"name": "extra_json", "type": ["null", "string"], "default": None},
    ],
}


def test_fields_convert_and_defaults_fill_in():
    record = to_record({"id": 1, "when": "2021-02-17T16:30:16+02:00"}, SCHEMA)
    assert record == {
        "id": 1,
        "when": datetime(2021, 2, 17, 16, 30, 16, tzinfo=timezone(timedelta(hours=2))),
        "tags": [],
        "flag": None,
        "extra_json": None,
    }


def test_unnamed_fields_are_kept_in_extra_json_with_secrets_redacted():
    record = to_record({"id": 1, "new": {"x": [1]}, "token": "secret"}, SCHEMA)
    assert record["extra_json"] == '{"new":{"x":[1]},"token":"[REDACTED]"}'


def test_time_without_offset_is_utc():
    assert to_record({"id": 1, "when": "2021-02-17T16:30:16"}, SCHEMA)["when"].tzinfo is UTC


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({}, "id: required field is missing"),
        ({"id": "1"}, "id: expected integer, got string"),
        ({"id": True}, "id: expected integer, got boolean"),
        ({"id": 2**63}, "id: integer out of the long range"),
        ({"id": 1, "when": "yesterday"}, "when: expected ISO-8601 date-time, got another string"),
        ({"id": 1, "tags": ["a", 2]}, "tags[1]: expected string, got number"),
        ({"id": 1, "flag": "yes"}, "flag: expected boolean, got string"),
        ([], "body: expected object, got array"),
    ],
)
def test_mismatches_name_paths_and_types_never_values(body, reason):
    with pytest.raises(SchemaMismatch) as caught:
        to_record(body, SCHEMA)
    assert str(caught.value) == reason
