"""Secrets and patient data never show in logs, answers or metrics, whatever the request."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bridge.app import create_app
from bridge.catalog import BRIDGE_TYPES
from bridge.logs import log_handler
from tests import SECRET
from tests.bridge.signing import OLD_SIGNING_SECRET, SIGNING_SECRET, signed

OLD_SECRET = "an-older-shared-secret-still-accepted"
PATIENT_UUID = 1680330017


@pytest.fixture
def hygiene_app(settings, registry, publisher):
    configured = replace(
        settings,
        shared_secret=f"{SECRET},{OLD_SECRET}",
        signing_secrets=(SIGNING_SECRET, OLD_SIGNING_SECRET),
        max_body_bytes=64 * 1024,
    )
    return create_app(configured, publisher=publisher, registry=registry)


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The JSON lines `docink serve` would write (request and event ids included)."""
    stream = io.StringIO()
    handler = log_handler("json", stream)
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


def test_no_secret_or_patient_field_in_logs_answers_or_metrics(
    hygiene_app, publisher, caplog, json_lines, bot_installation, device_order_created
):
    caplog.set_level(logging.DEBUG)
    client = hygiene_app.test_client()
    token = bot_installation["payload"]["token"]
    email = bot_installation["payload"]["installed_by"]["email"]
    bearer = {"Authorization": f"Bearer {SECRET}"}
    order = json.dumps(device_order_created).encode()
    broken_install = {**bot_installation, "event_time": 1613579416}  # dead-lettered, with token
    unknown = {**device_order_created, "event_name": "patient note", "note": email}
    good_signature = signed(order, msg_id="msg_hygiene")
    forged = {
        **signed(order, OLD_SIGNING_SECRET),
        "webhook-signature": good_signature["webhook-signature"].replace("v1,", "v1,A"),
    }

    def post(url="/webhooks/docink", data=order, headers=None):
        return client.post(url, data=data, content_type="application/json", headers=headers or {})

    answers = [
        post(headers=bearer),  # accepted
        post(headers=bearer),  # duplicate
        post(f"/webhooks/docink/{OLD_SECRET}", json.dumps(unknown).encode()),  # unknown topic
        post(data=json.dumps(broken_install).encode(), headers=bearer),  # dead letter
        post(headers={"Authorization": f"Bearer {SECRET}x"}),  # wrong secret
        post(f"/webhooks/docink/{SECRET[:-1]}"),  # wrong path secret
        post(headers={**forged, **bearer}),  # bad signature, good shared secret
        post(data=order.replace(b"1285217310", b"1"), headers=good_signature),  # tampered
        post(headers=good_signature),  # signed, accepted
        post(data=b'{"token": "' + token.encode() + b'", ', headers=bearer),  # not JSON
        post(data=json.dumps({"token": token, "pad": "x" * 70_000}).encode(), headers=bearer),
    ]
    publisher.failing = True
    answers.append(post(data=json.dumps(bot_installation).encode(), headers=bearer))  # 503
    statuses = [answer.status_code for answer in answers]
    assert statuses == [202, 200, 202, 202, 401, 401, 401, 401, 202, 400, 413, 503]

    needles = {
        "shared secret": SECRET,
        "older shared secret": OLD_SECRET,
        "signing secret": SIGNING_SECRET.removeprefix("whsec_"),
        "older signing secret": OLD_SIGNING_SECRET.removeprefix("whsec_"),
        "bot token": token,
        "token signature part": token.rsplit(".", 1)[-1][:40],
        "signature header": good_signature["webhook-signature"].removeprefix("v1,"),
        "forged signature header": forged["webhook-signature"].removeprefix("v1,"),
        "patient uuid": str(PATIENT_UUID),
        "email": email,
    }
    logged = (
        caplog.text
        + "".join(repr(record.args) + str(record.exc_info) for record in caplog.records)
        + json_lines.getvalue()
    )
    metrics = client.get("/metrics").get_data(as_text=True)
    answered = "".join(answer.get_data(as_text=True) + str(answer.headers) for answer in answers)
    assert caplog.records, "expected the requests to log something"
    for name, needle in needles.items():
        assert needle not in logged, f"{name} in the logs"
        assert needle not in answered, f"{name} in an answer"
        assert needle not in metrics, f"{name} in the metrics"
    lines = json_lines.getvalue().splitlines()
    assert lines and all("request_id" in json.loads(line) for line in lines)
    event_types = {
        sample.labels["event_type"]
        for family in text_string_to_metric_families(metrics)
        if family.name == "docink_bridge_webhook_requests"
        for sample in family.samples
    }
    # The unknown event ("patient note") counts as "unknown": only catalog names are labels.
    assert "unknown" in event_types
    assert event_types <= {event_type.name for event_type in BRIDGE_TYPES} | {"none"}
