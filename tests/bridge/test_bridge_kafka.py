"""The bridge against the real broker and registry: what DocInk POSTs is what a data team reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from bridge.app import create_app
from bridge.catalog import ALL_TYPES, lookup
from bridge.settings import Settings
from bridge.topics import admin_client, ensure_topics, topic_specs
from tests import SECRET
from tests.cluster import consume
from tests.conftest import load_fixture
from tests.examples import EXAMPLES

pytestmark = pytest.mark.integration
AUTH = {"Authorization": f"Bearer {SECRET}"}


@pytest.fixture
def live_app(live_settings: Settings) -> Iterator[Flask]:
    app = create_app(live_settings)
    yield app
    app.extensions["docink"].publisher.close()


def assert_same(decoded: Any, sent: Any, path: str = "") -> None:
    """``decoded`` (from Avro) carries ``sent`` (from JSON): timestamps as instants, fields the
    schema does not name inside ``extra_json``."""
    if isinstance(sent, dict):
        extra = json.loads(decoded.get("extra_json") or "{}")
        for name, value in sent.items():
            if name in decoded:
                assert_same(decoded[name], value, f"{path}.{name}")
            else:
                assert extra.get(name) == value, f"{path}.{name} not kept"
    elif isinstance(decoded, datetime):
        assert decoded == datetime.fromisoformat(sent), path
    else:
        assert decoded == sent, path


def test_every_event_type_round_trips_through_kafka(live_app, live_settings):
    bodies = {
        "bot-installation": load_fixture("bot-installation"),
        "device-order-created": load_fixture("device_order_created"),
        **EXAMPLES,
    }
    client = live_app.test_client()
    answers = {}
    for name, body in bodies.items():
        response = client.post("/webhooks/docink", json=body, headers=AUTH)
        assert response.status_code == 202, (name, response.json)
        answers[name] = response.json

    for name, body in bodies.items():
        topic = lookup(name).topic(live_settings.topic_prefix)
        assert answers[name]["topic"] == topic
        [record] = consume(live_settings, topic, 1)
        assert record.key == str(body["org_uuid"]).encode()
        assert record.headers["event-id"] == answers[name]["event_id"].encode()
        assert record.headers["event-name"] == name.encode()
        assert record.headers["content-type"] == b"application/vnd.confluent.avro"
        assert datetime.fromisoformat(record.headers["received-at"].decode())
        assert record.value["event_id"] == answers[name]["event_id"]
        sent = dict(body)
        token = sent["payload"].get("token")
        if token:
            sent["payload"] = {k: v for k, v in sent["payload"].items() if k != "token"}
            assert record.value["payload"]["token_present"] is True
            assert record.value["payload"]["token_is_jwt"] is True
            assert record.value["payload"]["token_expires_at"].year == 2051
            assert token not in repr(record.value)
        assert_same(record.value, sent)


def test_unknown_event_lands_on_the_unknown_topic(live_app, live_settings):
    body = {**load_fixture("device_order_created"), "event_name": "invoice_paid"}
    response = live_app.test_client().post("/webhooks/docink", json=body, headers=AUTH)
    assert response.status_code == 202
    [record] = consume(live_settings, f"{live_settings.topic_prefix}.unknown", 1)
    assert record.value["event_name"] == "invoice_paid"
    assert json.loads(record.value["payload_json"]) == body["payload"]


def test_schema_mismatch_lands_on_the_deadletter_topic(live_app, live_settings):
    body = load_fixture("bot-installation")
    body["payload"]["installed_by"]["uuid"] = "not-a-number"
    response = live_app.test_client().post("/webhooks/docink", json=body, headers=AUTH)
    assert response.status_code == 202
    assert response.json["status"] == "dead_lettered"
    [record] = consume(live_settings, f"{live_settings.topic_prefix}.deadletter", 1)
    assert record.value["reason"] == "payload.installed_by.uuid: expected integer, got string"
    assert record.value["intended_event_type"] == "bot-installation"
    assert body["payload"]["token"] not in record.value["body"]
    assert json.loads(record.value["body"])["payload"]["org_name"] == "Jakes dev"


def test_a_duplicate_delivery_carries_the_same_event_id(live_app, live_settings):
    """Without the bridge's suppression (as in this fixture) both deliveries reach Kafka."""
    body = load_fixture("device_order_created")
    client = live_app.test_client()
    ids = {client.post("/webhooks/docink", json=body, headers=AUTH).json["event_id"] for _ in "ab"}
    records = consume(live_settings, f"{live_settings.topic_prefix}.device-order-created", 2)
    assert len(ids) == 1
    assert {record.value["event_id"] for record in records} == ids
    assert len({record.partition for record in records}) == 1  # same key, same partition


def test_a_duplicate_delivery_is_suppressed_once_kafka_confirmed_it(live_settings):
    app = create_app(replace(live_settings, dedup_window_seconds=60))
    body = load_fixture("device_order_created")
    try:
        answers = [
            app.test_client().post("/webhooks/docink", json=body, headers=AUTH) for _ in "ab"
        ]
    finally:
        app.extensions["docink"].publisher.close()
    assert [answer.status_code for answer in answers] == [202, 200]
    assert answers[1].json == {"status": "duplicate", "event_id": answers[0].json["event_id"]}
    topic = f"{live_settings.topic_prefix}.device-order-created"
    records = consume(live_settings, topic, 1, settle=2)
    assert [record.value["event_id"] for record in records] == [answers[0].json["event_id"]]


def test_topic_creation_is_idempotent(live_settings):
    outcome = ensure_topics(admin_client(live_settings), topic_specs(live_settings))
    assert set(outcome.values()) == {"exists"}
    assert len(outcome) == len(ALL_TYPES)


def test_readiness_sees_broker_and_registry(live_app):
    response = live_app.test_client().get("/readyz")
    assert response.status_code == 200, response.json
