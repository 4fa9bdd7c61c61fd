import json
from datetime import UTC, datetime

from bridge.catalog import UNKNOWN_TYPE, lookup
from bridge.routing import route
from streams.enrichment import enriched_record, plain

RECEIVED = datetime(2021, 2, 21, 18, 15, 9, tzinfo=UTC)


def test_enriched_device_order(device_order_created):
    record = route(device_order_created, RECEIVED, b"k").record
    enriched = enriched_record(record, lookup("device_order_created"), "docink.x", None)
    assert enriched["event_name"] == "device-order-created"
    assert enriched["category"] == "rpm"
    assert enriched["ingest_lag_ms"] == 5000
    assert enriched["org_name"] is None
    assert json.loads(enriched["payload_json"])["created_at"] == "2021-02-21T18:14:57+00:00"


def test_enriched_bot_installation_has_no_token(bot_installation):
    record = route(bot_installation, RECEIVED, b"k").record
    enriched = enriched_record(record, lookup("bot-installation"), "t", "Jakes dev")
    payload = json.loads(enriched["payload_json"])
    assert enriched["org_name"] == "Jakes dev" and enriched["category"] == "installation"
    assert "token" not in payload and payload["token_present"] is True
    assert bot_installation["payload"]["token"] not in enriched["payload_json"]


def test_enriched_unknown_event(device_order_created):
    body = {**device_order_created, "event_name": "Invoice Paid"}
    enriched = enriched_record(route(body, RECEIVED, b"k").record, UNKNOWN_TYPE, "t", None)
    assert (enriched["event_name"], enriched["category"]) == ("invoice-paid", "unknown")
    assert json.loads(enriched["payload_json"]) == body["payload"]


def test_plain_merges_extra_fields_back():
    value = {"a": 1, "extra_json": '{"b": 2}', "nested": {"c": 3, "extra_json": None}}
    assert plain(value) == {"a": 1, "b": 2, "nested": {"c": 3}}
