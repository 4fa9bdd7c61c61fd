"""A broker that stops: the bridge answers 503 (never 202) quickly, and recovers by itself."""

from __future__ import annotations

import time

import pytest

from bridge.app import create_app
from devstack import LocalKafka
from tests import SECRET
from tests.bridge.conftest import own_broker_settings
from tests.cluster import Cluster, consume
from tests.conftest import load_fixture

pytestmark = pytest.mark.integration
AUTH = {"Authorization": f"Bearer {SECRET}"}
ACK_TIMEOUT = 2.0


def test_stopped_broker_gets_503_then_the_bridge_recovers(own_broker: LocalKafka, cluster: Cluster):
    settings = own_broker_settings(
        own_broker,
        cluster.schema_registry_url,
        topic_partitions=1,
        ack_timeout_seconds=ACK_TIMEOUT,
    )
    app = create_app(settings)
    client = app.test_client()
    body = load_fixture("device_order_created")

    def post(uuid_: int):
        return client.post(
            "/webhooks/docink",
            json={**body, "payload": {**body["payload"], "uuid": uuid_}},
            headers=AUTH,
        )

    try:
        assert post(1).status_code == 202
        own_broker.stop()
        for n in range(2, 5):
            started = time.monotonic()
            response = post(n)
            assert response.status_code == 503, response.json
            assert response.headers["Retry-After"] == str(settings.retry_after_seconds)
            assert time.monotonic() - started < ACK_TIMEOUT + 2
        assert client.get("/readyz").status_code == 503

        own_broker.start()
        statuses = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and statuses[-1:] != [202]:
            statuses.append(post(100 + len(statuses)).status_code)
        assert statuses[-1] == 202 and set(statuses) <= {202, 503}, statuses
    finally:
        app.extensions["docink"].publisher.close()

    records = consume(settings, f"{settings.topic_prefix}.device-order-created", 2)
    accepted = {1, 100 + len(statuses) - 1}
    assert {record.value["payload"]["uuid"] for record in records} >= accepted
