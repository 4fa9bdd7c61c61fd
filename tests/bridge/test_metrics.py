"""The bridge's Prometheus metrics, counted in-process on the Flask test client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from confluent_kafka import KafkaError
from prometheus_client import REGISTRY

from bridge import metrics
from bridge.catalog import BRIDGE_TYPES
from bridge.errors import BrokerUnavailable, DeliveryTimeout
from tests import SECRET
from tests.bridge.metering import Meter
from tests.bridge.test_publisher import ScriptedProducer, publish

AUTH = {"Authorization": f"Bearer {SECRET}"}
REQUESTS = "docink_bridge_webhook_requests_total"


def post(client, body, headers=AUTH):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        "/webhooks/docink", data=data, content_type="application/json", headers=headers
    )


def test_requests_are_counted_by_catalog_event_type_and_status(
    client, publisher, device_order_created, bot_installation
):
    meter = Meter()
    statuses = [
        post(client, device_order_created).status_code,  # accepted
        post(client, device_order_created).status_code,  # duplicate
        post(client, {**device_order_created, "event_name": "Device Order.Created"}).status_code,
        post(client, {**device_order_created, "event_name": "patient note"}).status_code,
        post(client, {**bot_installation, "event_time": 1}).status_code,  # dead-lettered
        post(client, {"org_uuid": 1}).status_code,  # no event name: dead-lettered
        post(client, b"{not json").status_code,
        post(client, device_order_created, {"Authorization": "Bearer wrong"}).status_code,
    ]
    publisher.failing = True
    statuses.append(post(client, bot_installation).status_code)
    assert statuses == [202, 200, 202, 202, 202, 202, 400, 401, 503]
    assert meter.changes(REQUESTS) == {
        ("device-order-created", "202"): 2,
        ("device-order-created", "200"): 1,
        ("unknown", "202"): 1,
        ("bot-installation", "202"): 1,
        ("none", "202"): 1,
        ("none", "400"): 1,
        ("none", "401"): 1,
        ("bot-installation", "503"): 1,
    }
    assert meter.changes("docink_bridge_dead_lettered_total") == {
        ("schema_mismatch",): 1,
        ("no_event_name",): 1,
    }
    assert REGISTRY.get_sample_value("docink_bridge_in_flight") == 0


def test_other_routes_are_not_counted(client):
    meter = Meter()
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert meter.changes(REQUESTS) == {}


def test_event_type_labels_are_catalog_names_only():
    allowed = {event_type.name for event_type in BRIDGE_TYPES} | {"none"}
    for name in ("Task Created", "task_created", "patient note", "", "x" * 10_000, 7, None):
        assert metrics.event_type_label({"event_name": name}) in allowed
    assert metrics.event_type_label({"event_name": "TASK.CREATED"}) == "task-created"
    assert metrics.event_type_label({}) == "none"


def test_metrics_are_served_as_prometheus_text(client, device_order_created):
    post(client, device_order_created)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    assert f'{REQUESTS}{{event_type="device-order-created",status="202"}}' in text
    for name in ("publish_seconds", "delivery_failures_total", "dead_lettered_total", "in_flight"):
        assert f"# TYPE docink_bridge_{name.removesuffix('_total')}" in text


def test_publish_latency_is_observed_per_topic():
    meter = Meter()
    publish(ScriptedProducer())
    assert meter.changes("docink_bridge_publish_seconds_count") == {("t",): 1}


@pytest.mark.parametrize(
    ("producer", "error", "reason"),
    [
        (ScriptedProducer(error=KafkaError(KafkaError._MSG_TIMED_OUT)), BrokerUnavailable,
         "msg_timed_out"),
        (ScriptedProducer(silent=True), DeliveryTimeout, "no_report"),
        (ScriptedProducer(full=5), BrokerUnavailable, "queue_full"),
    ],
)  # fmt: skip
def test_delivery_failures_are_counted_by_reason(producer, error, reason):
    meter = Meter()
    with pytest.raises(error):
        publish(producer, ack_timeout=0.05)
    assert meter.changes("docink_bridge_delivery_failures_total") == {(reason,): 1}
    assert meter.changes("docink_bridge_publish_seconds_count") == {}


def test_serve_gets_a_new_empty_directory_unless_one_is_set(tmp_path: Path):
    made = [Path(metrics.multiprocess_dir(None)) for _ in range(2)]
    try:
        assert all(path.is_dir() and not any(path.iterdir()) for path in made)
        assert made[0] != made[1]
    finally:
        for path in made:
            path.rmdir()
    chosen = tmp_path / "metrics"
    assert metrics.multiprocess_dir(str(chosen)) == str(chosen)
    assert chosen.is_dir()
