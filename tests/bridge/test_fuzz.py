"""Fuzzing against the real broker: schemathesis from the OpenAPI description, and hypothesis
envelopes (wrong types, huge numbers, deep nesting, invalid UTF-8, missing fields, odd names).

No answer is a 5xx other than 503 with Retry-After; every authenticated request either lands on
a topic (its own, unknown or deadletter) or gets a 4xx; every 202 is found on its topic by id.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from bridge.app import create_app
from bridge.settings import Settings
from tests import SECRET
from tests.bridge.signing import SIGNING_SECRET, signed
from tests.bridge.test_openapi import CONFORMANCE, WEBHOOK_PATHS
from tests.cluster import consume
from tests.conftest import load_fixture

pytestmark = pytest.mark.integration
AUTH = {"Authorization": f"Bearer {SECRET}"}
SCHEMATHESIS_EXAMPLES = 50  # per operation and generation mode
ENVELOPE_EXAMPLES = 250
FUZZ_SETTINGS = settings(
    deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=True
)


class Outcomes:
    """What the fuzzers sent and were answered; the 202s are looked for on the topics later."""

    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self.accepted: dict[str, set[str]] = defaultdict(set)  # topic -> event ids

    def record(self, status: int, answer: dict[str, Any] | None, headers: Any) -> None:
        self.statuses[status] += 1
        assert status < 500 or (status == 503 and headers.get("Retry-After")), (status, answer)
        if status == 202:
            self.accepted[answer["topic"]].add(answer["event_id"])
        elif status == 200:
            assert answer["status"] == "duplicate"
            assert any(answer["event_id"] in ids for ids in self.accepted.values())


@pytest.fixture
def fuzz_app(live_settings: Settings) -> Iterator[Flask]:
    app = create_app(
        replace(live_settings, dedup_window_seconds=600, signing_secrets=(SIGNING_SECRET,))
    )
    yield app
    app.extensions["docink"].publisher.close()


def _assert_all_on_their_topics(live_settings: Settings, outcomes: Outcomes) -> int:
    found = 0
    for topic, ids in outcomes.accepted.items():
        records = consume(live_settings, topic, len(ids), timeout=60)
        on_topic = {record.value["event_id"] for record in records}
        assert ids <= on_topic, (topic, len(ids - on_topic))
        found += len(ids)
    return found


# --- hypothesis envelopes ---------------------------------------------------------------------

ODD_NAMES = st.sampled_from(
    [
        "device_order_created", "DEVICE-ORDER-CREATED", "Device Order Created", "bot-installation",
        "task.created", "  task_created  ", "appointment_canceled", "Invoice Paid", "", "-", "_._",
        "é", "\u0000", "x" * 300, "device order created\n",
    ]
) | st.text(max_size=40)  # fmt: skip
JSON_LEAF = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)  # fmt: skip
ENVELOPE_FIELDS = {
    "app_uuid": st.integers(min_value=-(2**70), max_value=2**70) | JSON_VALUE,
    "org_uuid": st.integers(min_value=-(2**70), max_value=2**70) | JSON_VALUE,
    "org_id": st.integers(min_value=0, max_value=2**40),
    "event_name": ODD_NAMES | JSON_VALUE,
    "event_time": st.sampled_from(["2021-02-21T18:15:04+00:00", "2021-02-21", "yesterday"])
    | st.datetimes().map(lambda d: d.isoformat())
    | JSON_VALUE,
    "payload": st.dictionaries(st.text(max_size=12), JSON_VALUE, max_size=6) | JSON_VALUE,
    "token": st.text(max_size=20),
}


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """A DocInk-like envelope: fixture-based or not, fields missing, mistyped or extra."""
    base = draw(
        st.sampled_from(
            [{}, load_fixture("device_order_created"), load_fixture("bot-installation")]
        )
    )
    body = dict(base)
    for name, values in ENVELOPE_FIELDS.items():
        action = draw(st.sampled_from(["keep", "keep", "drop", "replace"]))
        if action == "drop":
            body.pop(name, None)
        elif action == "replace":
            body[name] = draw(values)
    if isinstance(body.get("payload"), dict) and draw(st.booleans()):
        payload = dict(body["payload"])
        key = draw(st.sampled_from(sorted(payload) or ["uuid"]))
        payload[key] = draw(JSON_VALUE)
        body["payload"] = payload
    return body


def _deep(depth: int) -> bytes:
    return b'{"event_name":"task_created","payload":' + b'{"a":' * depth + b"1" + b"}" * (depth + 1)


WHOLE_ENVELOPES = envelopes().map(lambda body: json.dumps(body).encode())
RAW_BODIES = st.one_of(
    WHOLE_ENVELOPES,
    WHOLE_ENVELOPES,  # weighs the JSON objects more than the broken bodies
    WHOLE_ENVELOPES,
    envelopes().map(lambda body: json.dumps(body).encode()[:-1]),  # truncated
    st.integers(min_value=1, max_value=2000).map(_deep),
    st.binary(max_size=200),  # mostly invalid UTF-8 and not JSON
    envelopes().map(lambda body: json.dumps(body).encode().replace(b'"', b'"\xff', 1)),
    st.sampled_from(
        [
            b'{"org_uuid": ' + b"9" * 5000 + b"}",
            b'{"org_uuid": 1e999, "event_name": "task_created"}',
            b'{"event_name": "task_created", "payload": {"uuid": -1e308}}',
            b'{"event_name": "\\ud800", "org_uuid": 1}',
            b'{"\\udfff": 1}',
            b"[]",
            b"null",
            b"",
        ]
    ),
)


def test_hypothesis_envelopes_land_or_get_4xx(fuzz_app, live_settings, caplog):
    caplog.set_level(logging.INFO)
    outcomes = Outcomes()
    client = fuzz_app.test_client()
    ids = iter(range(10**9))

    @given(raw=RAW_BODIES, how=st.sampled_from(["bearer", "path", "signed"]))
    @settings(FUZZ_SETTINGS, max_examples=ENVELOPE_EXAMPLES)
    def post(raw: bytes, how: str) -> None:
        url, headers = "/webhooks/docink", dict(AUTH)
        if how == "path":
            url, headers = f"/webhooks/docink/{SECRET}", {}
        elif how == "signed":
            headers = signed(raw, msg_id=f"msg_fuzz_{next(ids)}")
        response = client.post(url, data=raw, content_type="application/json", headers=headers)
        outcomes.record(response.status_code, response.get_json(silent=True), response.headers)

    post()
    found = _assert_all_on_their_topics(live_settings, outcomes)
    tried = sum(outcomes.statuses.values())
    print(f"\nhypothesis envelopes: tried={tried} statuses={dict(outcomes.statuses)} found={found}")
    assert outcomes.statuses[202] > 0 and outcomes.statuses[400] > 0
    assert SECRET not in caplog.text
    assert load_fixture("bot-installation")["payload"]["token"] not in caplog.text


def test_schemathesis_against_the_description(fuzz_app, live_settings):
    outcomes = Outcomes()
    schema = schemathesis.openapi.from_wsgi("/openapi.json", fuzz_app)
    for path in WEBHOOK_PATHS:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            secret = {"secret": SECRET} if "{secret}" in path else None
            strategy = schema[path]["POST"].as_strategy(mode, path_parameters=secret)
            _fuzz(strategy, validate=mode is GenerationMode.POSITIVE, outcomes=outcomes)
    found = _assert_all_on_their_topics(live_settings, outcomes)
    tried = sum(outcomes.statuses.values())
    print(f"\nschemathesis: tried={tried} statuses={dict(outcomes.statuses)} found={found}")
    assert outcomes.statuses[202] > 0


def _fuzz(strategy: st.SearchStrategy, validate: bool, outcomes: Outcomes) -> None:
    @given(case=strategy)
    @settings(FUZZ_SETTINGS, max_examples=SCHEMATHESIS_EXAMPLES)
    def call(case) -> None:
        if case.headers:  # random webhook-* headers would only meet the signature check
            case.headers = {
                name: value
                for name, value in case.headers.items()
                if not name.lower().startswith("webhook-")
            }
        response = case.call(headers=AUTH)
        outcomes.record(response.status_code, _json(response), response.headers)
        if validate:
            case.validate_response(response, checks=CONFORMANCE)

    call()


def _json(response: Any) -> dict[str, Any] | None:
    try:
        return response.json()
    except ValueError:
        return None
