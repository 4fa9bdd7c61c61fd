import json

import pytest
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from bridge.app import create_app
from bridge.errors import ConfigError
from bridge.settings import Settings
from tests import SECRET

AUTH = {"Authorization": f"Bearer {SECRET}"}


def decode(registry, published):
    context = SerializationContext(published.topic, MessageField.VALUE)
    return AvroDeserializer(registry)(published.value, context)


def test_fixture_lands_on_its_topic_with_key_and_headers(
    client, publisher, registry, device_order_created
):
    response = client.post("/webhooks/docink", json=device_order_created, headers=AUTH)
    assert response.status_code == 202
    assert response.json["status"] == "accepted"
    [published] = publisher.published
    assert published.topic == "docink.device-order-created"
    assert published.key == b"568691045"
    assert published.headers["event-id"] == response.json["event_id"].encode()
    assert published.headers["event-name"] == b"device-order-created"
    assert published.headers["content-type"] == b"application/vnd.confluent.avro"
    assert b"received-at" in published.headers or "received-at" in published.headers
    assert published.value[0] == 0  # Confluent wire format: magic byte, then the schema id
    record = decode(registry, published)
    assert record["payload"]["uuid"] == 1285217310


def test_secret_in_the_url_path_authenticates(client, publisher, device_order_created):
    response = client.post(f"/webhooks/docink/{SECRET}", json=device_order_created)
    assert response.status_code == 202
    assert len(publisher.published) == 1


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {SECRET}"}]
)
def test_wrong_or_missing_secret_is_401(client, publisher, device_order_created, headers):
    response = client.post("/webhooks/docink", json=device_order_created, headers=headers)
    assert response.status_code == 401
    assert response.json == {"error": "unauthorized", "message": "missing or wrong webhook secret"}
    assert publisher.published == []


def test_wrong_path_secret_is_401(client, device_order_created):
    assert client.post("/webhooks/docink/guess", json=device_order_created).status_code == 401


def test_unknown_event_is_202_on_the_unknown_topic(client, publisher, device_order_created):
    body = {**device_order_created, "event_name": "Invoice Paid"}
    response = client.post("/webhooks/docink", json=body, headers=AUTH)
    assert response.status_code == 202
    assert response.json["topic"] == "docink.unknown"
    assert publisher.published[0].headers["event-name"] == b"invoice-paid"


def test_mismatch_is_202_dead_lettered_with_reason(client, publisher, registry, bot_installation):
    bot_installation["event_time"] = 1613579416
    response = client.post("/webhooks/docink", json=bot_installation, headers=AUTH)
    assert response.status_code == 202
    assert response.json["status"] == "dead_lettered"
    assert response.json["reason"] == "event_time: expected ISO-8601 date-time string, got number"
    record = decode(registry, publisher.published[0])
    assert publisher.published[0].topic == "docink.deadletter"
    assert record["reason"] == response.json["reason"]
    assert bot_installation["payload"]["token"] not in record["body"]
    assert bot_installation["payload"]["token"] not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "body is not valid JSON"),
        (b"\xff\xfe\xfa", "body is not valid JSON"),
        (b'{"a": NaN}', "body is not valid JSON"),
        (b"[1, 2]", "body must be a JSON object"),
        (b'"text"', "body must be a JSON object"),
        (b"[" * 100_000, "body is not valid JSON"),
    ],
)
def test_bodies_that_are_not_json_objects_are_400(client, publisher, data, message):
    response = client.post(
        "/webhooks/docink", data=data, content_type="application/json", headers=AUTH
    )
    assert response.status_code == 400
    assert response.json == {"error": "invalid_body", "message": message}
    assert publisher.published == []


def test_body_over_the_limit_is_413(settings, registry, publisher, device_order_created):
    small = Settings(**{**settings.__dict__, "max_body_bytes": 100})
    client = create_app(small, publisher=publisher, registry=registry).test_client()
    response = client.post("/webhooks/docink", json=device_order_created, headers=AUTH)
    assert response.status_code == 413
    assert response.json["error"] == "body_too_large"


def test_wrong_content_type_is_415(client):
    response = client.post(
        "/webhooks/docink", data="event_name=x", content_type="text/plain", headers=AUTH
    )
    assert response.status_code == 415
    assert response.json["error"] == "unsupported_media_type"


def test_missing_content_type_is_read_as_json(client, device_order_created):
    response = client.post("/webhooks/docink", data=json.dumps(device_order_created), headers=AUTH)
    assert response.status_code == 202


def test_broker_failure_is_503_with_retry_after(client, publisher, device_order_created):
    publisher.failing = True
    response = client.post("/webhooks/docink", json=device_order_created, headers=AUTH)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["error"] == "broker_unavailable"


def test_unregistered_schemas_are_503(settings, publisher, device_order_created):
    app = create_app(settings, publisher=publisher)  # a fresh mock registry: nothing registered
    response = app.test_client().post("/webhooks/docink", json=device_order_created, headers=AUTH)
    assert response.status_code == 503
    assert response.json["error"] == "registry_unavailable"
    assert publisher.published == []


def test_unknown_route_and_method_answer_json(client):
    assert client.get("/nope").json["error"] == "not_found"
    assert client.get("/webhooks/docink").status_code == 405


def test_health_and_readiness(client, publisher):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    publisher.failing = True
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"kafka": "unreachable", "schema_registry": "ok"}


def test_refuses_to_start_without_a_secret(registry, publisher):
    with pytest.raises(ConfigError, match="DOCINK_SHARED_SECRET"):
        create_app(Settings(), publisher=publisher, registry=registry)


def test_insecure_flag_allows_no_secret(registry, publisher, device_order_created):
    app = create_app(Settings(insecure_no_auth=True), publisher=publisher, registry=registry)
    response = app.test_client().post("/webhooks/docink", json=device_order_created)
    assert response.status_code == 202
