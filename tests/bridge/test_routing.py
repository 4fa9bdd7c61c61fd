import copy
import json
from datetime import UTC, datetime

from bridge.catalog import DEADLETTER_TYPE, UNKNOWN_TYPE
from bridge.routing import event_id, route

NOW = datetime(2026, 1, 1, tzinfo=UTC)
KEY = b"k"


def test_bot_installation_carries_token_facts_not_the_token(bot_installation):
    routed = route(bot_installation, NOW, KEY)
    payload = routed.record["payload"]
    assert routed.event_type.name == "bot-installation"
    assert "token" not in payload
    assert payload["token_present"] and payload["token_is_jwt"]
    assert payload["token_expires_at"].year == 2051
    assert bot_installation["payload"]["token"] not in repr(routed.record)
    assert routed.key == b"721192134"


def test_device_order_is_typed(device_order_created):
    routed = route(device_order_created, NOW, KEY)
    assert routed.event_type.name == "device-order-created"
    assert routed.record["payload"]["patient_rpm_program_uuid"] == 676991425
    assert routed.record["event_time"] == datetime(2021, 2, 21, 18, 15, 4, tzinfo=UTC)
    assert routed.record["received_at"] == NOW


def test_sdk_spelling_of_ids_is_accepted(device_order_created):
    body = dict(device_order_created)
    body["app_id"], body["org_id"] = body.pop("app_uuid"), body.pop("org_uuid")
    routed = route(body, NOW, KEY)
    assert routed.record["org_uuid"] == 568691045
    assert routed.event_id == route(device_order_created, NOW, KEY).event_id


def test_event_id_is_stable_and_content_derived(device_order_created):
    same = json.loads(json.dumps(device_order_created, sort_keys=True))
    other = copy.deepcopy(device_order_created)
    other["payload"]["uuid"] += 1
    assert event_id(device_order_created) == event_id(same)
    assert event_id(device_order_created) != event_id(other)


def test_unknown_event_keeps_its_payload(device_order_created):
    body = {**device_order_created, "event_name": "invoice_paid"}
    routed = route(body, NOW, KEY)
    assert routed.event_type is UNKNOWN_TYPE
    assert json.loads(routed.record["payload_json"]) == body["payload"]
    assert routed.record["org_uuid"] == 568691045


def test_unknown_event_payload_secrets_are_redacted(device_order_created):
    body = {**device_order_created, "event_name": "x", "payload": {"token": "abc"}}
    assert json.loads(route(body, NOW, KEY).record["payload_json"]) == {"token": "[REDACTED]"}


def test_mismatch_is_dead_lettered_with_reason_and_redacted_body(bot_installation):
    bot_installation["payload"]["org_uuid"] = "not-a-number"
    routed = route(bot_installation, NOW, KEY, "application/json")
    assert routed.event_type is DEADLETTER_TYPE
    assert routed.reason == "payload.org_uuid: expected integer, got string"
    assert routed.record["intended_event_type"] == "bot-installation"
    assert bot_installation["payload"]["token"] not in routed.record["body"]
    assert json.loads(routed.record["body"])["payload"]["installed_by"]["uuid"] == 1827524762


def test_missing_event_name_is_dead_lettered(device_order_created):
    del device_order_created["event_name"]
    routed = route(device_order_created, NOW, KEY)
    assert routed.event_type is DEADLETTER_TYPE
    assert routed.reason == "event_name: expected string, got null"
    assert routed.record["intended_event_type"] is None


def test_extra_fields_are_kept(device_order_created):
    device_order_created["payload"]["device_serial"] = "SN-1"
    device_order_created["delivery_attempt"] = 2
    record = route(device_order_created, NOW, KEY).record
    assert json.loads(record["payload"]["extra_json"]) == {"device_serial": "SN-1"}
    assert json.loads(record["extra_json"]) == {"delivery_attempt": 2}
