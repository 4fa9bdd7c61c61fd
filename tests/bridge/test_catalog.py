import json

import fastavro
import pytest

from bridge.catalog import ALL_TYPES, EVENT_TYPES, lookup, normalize_event_name, subject
from bridge.schemas import schema_dir, schema_json, schema_text


def test_every_avsc_is_in_the_catalog_and_parses():
    files = {path.name for path in schema_dir().glob("*.avsc")}
    assert files == {event_type.schema_file for event_type in ALL_TYPES}
    for event_type in ALL_TYPES:
        fastavro.parse_schema(json.loads(schema_text(event_type)))


@pytest.mark.parametrize(
    ("sent", "canonical"),
    [
        ("bot-installation", "bot-installation"),
        ("device_order_created", "device-order-created"),
        ("Appointment confirmed", "appointment-confirmed"),
        ("APPOINTMENT.CANCELED", "appointment-cancelled"),
        ("task__updated", "task-updated"),
        (" Voice pager number deleted ", "voice-pager-number-deleted"),
        ("bot uninstallation", "bot-uninstallation"),
    ],
)
def test_names_match_leniently(sent, canonical):
    assert lookup(sent).name == canonical


def test_unknown_names_have_no_type():
    assert lookup("invoice_paid") is None
    assert lookup("") is None


def test_normalize_folds_separators():
    assert normalize_event_name("Task.Created") == "task-created"
    assert normalize_event_name("-a  b-") == "a-b"


def test_topics_and_subjects_follow_the_prefix():
    event_type = lookup("device_order_created")
    assert event_type.topic("docink") == "docink.device-order-created"
    assert subject(event_type.topic("acme")) == "acme.device-order-created-value"


def test_every_issue_event_has_a_type():
    assert {event_type.name for event_type in EVENT_TYPES} == {
        "bot-installation",
        "bot-uninstallation",
        "device-order-created",
        "device-order-updated",
        "device-order-deleted",
        "appointment-confirmed",
        "appointment-cancelled",
        "task-created",
        "task-updated",
        "task-deleted",
        "voice-pager-number-created",
        "voice-pager-number-deleted",
    }


def test_event_schemas_share_the_envelope():
    envelope = ["event_id", "event_name", "app_uuid", "org_uuid", "event_time", "received_at"]
    for event_type in EVENT_TYPES:
        fields = {field["name"]: field for field in schema_json(event_type)["fields"]}
        assert list(fields)[: len(envelope)] == envelope
        for name in ("event_time", "received_at"):
            assert fields[name]["type"] == {"type": "long", "logicalType": "timestamp-millis"}
        assert {"name": "extra_json", "type": ["null", "string"]}.items() <= fields[
            "extra_json"
        ].items()


def test_device_order_schemas_have_one_payload_shape():
    shapes = {
        json.dumps(schema_json(lookup(f"device_order_{verb}"))["fields"][6]["type"]["fields"])
        for verb in ("created", "updated", "deleted")
    }
    assert len(shapes) == 1


def test_no_event_schema_has_a_token_field():
    for event_type in ALL_TYPES:
        assert '"token"' not in schema_text(event_type)
