"""Standard Webhooks signatures: valid, expired, wrong secret, rotated, tampered, replayed."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from bridge.app import create_app
from bridge.errors import ConfigError
from bridge.settings import Settings
from bridge.signatures import SignatureVerifier
from tests import SECRET
from tests.bridge.signing import OLD_SIGNING_SECRET, SIGNING_SECRET, signed

AUTH = {"Authorization": f"Bearer {SECRET}"}
JSON = "application/json"


@pytest.fixture
def signing_app(settings, registry, publisher):
    rotated = replace(settings, signing_secrets=(SIGNING_SECRET, OLD_SIGNING_SECRET))
    return create_app(rotated, publisher=publisher, registry=registry)


@pytest.fixture
def signing_client(signing_app):
    return signing_app.test_client()


@pytest.fixture
def raw(device_order_created) -> bytes:
    return json.dumps(device_order_created).encode()


def post(client, raw: bytes, headers: dict[str, str]):
    return client.post("/webhooks/docink", data=raw, content_type=JSON, headers=headers)


def test_a_valid_signature_authenticates_alone_and_its_id_is_the_event_id(
    signing_client, publisher, raw
):
    response = post(signing_client, raw, signed(raw, msg_id="msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"))
    assert response.status_code == 202, response.json
    assert response.json["event_id"] == "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
    [published] = publisher.published
    assert published.headers["event-id"] == b"msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"


def test_a_signature_by_the_rotated_out_secret_still_verifies(signing_client, raw):
    assert post(signing_client, raw, signed(raw, OLD_SIGNING_SECRET)).status_code == 202


def test_one_matching_signature_among_several_is_enough(signing_client, raw):
    headers = signed(raw)
    headers["webhook-signature"] = "v1,bm90IGl0 " + headers["webhook-signature"]
    assert post(signing_client, raw, headers).status_code == 202


@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_a_timestamp_outside_five_minutes_is_401(signing_client, publisher, raw, offset):
    response = post(signing_client, raw, signed(raw, at=time.time() + offset))
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"
    assert "tolerance" in response.json["message"]
    assert publisher.published == []


@pytest.mark.parametrize("stamp", ["", "soon", "1e9", "-5", "²"])
def test_a_malformed_timestamp_is_401(signing_client, raw, stamp):
    headers = {**signed(raw), "webhook-timestamp": stamp}
    assert post(signing_client, raw, headers).status_code == 401


def test_a_wrong_secret_is_401_even_with_the_shared_secret(signing_client, publisher, raw):
    wrong = "whsec_" + "A" * 43 + "="
    response = post(signing_client, raw, {**signed(raw, wrong), **AUTH})
    assert response.status_code == 401
    assert response.json == {"error": "unauthorized", "message": "invalid webhook signature"}
    assert publisher.published == []


def test_a_tampered_body_is_401(signing_client, publisher, raw):
    headers = signed(raw)
    tampered = raw.replace(b"1285217310", b"1285217311")
    assert post(signing_client, tampered, headers).status_code == 401
    assert publisher.published == []


def test_a_changed_id_is_401(signing_client, raw):
    headers = {**signed(raw), "webhook-id": "msg_other"}
    assert post(signing_client, raw, headers).status_code == 401


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_incomplete_signature_headers_are_401(signing_client, raw, missing):
    headers = {name: value for name, value in signed(raw).items() if name != missing}
    response = post(signing_client, raw, {**headers, **AUTH})
    assert response.status_code == 401


def test_a_replayed_id_is_answered_duplicate_and_not_published_again(
    signing_client, publisher, raw
):
    first = post(signing_client, raw, signed(raw, msg_id="msg_once"))
    replay = post(signing_client, raw, signed(raw, msg_id="msg_once"))
    assert first.status_code == 202
    assert replay.status_code == 200
    assert replay.json == {"status": "duplicate", "event_id": "msg_once"}
    assert len(publisher.published) == 1


def test_without_signature_headers_the_shared_secret_still_authenticates(signing_client, raw):
    assert post(signing_client, raw, AUTH).status_code == 202
    assert post(signing_client, raw, {}).status_code == 401


def test_without_signing_secrets_signature_headers_are_not_checked_but_the_id_is_used(
    client, publisher, raw
):
    headers = {**signed(raw, msg_id="msg_relay"), "webhook-signature": "v1,garbage", **AUTH}
    response = post(client, raw, headers)
    assert response.status_code == 202
    assert response.json["event_id"] == "msg_relay"
    assert post(client, raw, {"webhook-id": "msg_relay"}).status_code == 401


@pytest.mark.parametrize("bad_id", ["has space", "x" * 256, "ünïcode"])
def test_an_unusable_webhook_id_is_400(client, raw, bad_id):
    response = post(client, raw, {"webhook-id": bad_id.encode().decode("latin-1"), **AUTH})
    assert response.status_code == 400
    assert response.json["error"] == "invalid_header"


def test_a_signing_secret_alone_is_enough_configuration(registry, publisher, raw):
    app = create_app(
        Settings(signing_secrets=(SIGNING_SECRET,)), publisher=publisher, registry=registry
    )
    client = app.test_client()
    assert post(client, raw, signed(raw)).status_code == 202
    assert post(client, raw, AUTH).status_code == 401


@pytest.mark.parametrize("secret", ["not-prefixed", "whsec_!!!notbase64", "whsec_" + "c2hvcnQ="])
def test_unusable_signing_secrets_refuse_to_start_without_showing_them(secret):
    with pytest.raises(ConfigError) as caught:
        SignatureVerifier([SIGNING_SECRET, secret])
    assert "item 2" in str(caught.value)
    assert secret not in str(caught.value)


def test_signing_secrets_are_read_comma_separated():
    settings = Settings.from_env(
        {"DOCINK_SIGNING_SECRETS": f"{SIGNING_SECRET}, {OLD_SIGNING_SECRET}"}
    )
    assert settings.signing_secrets == (SIGNING_SECRET, OLD_SIGNING_SECRET)
    assert SIGNING_SECRET not in repr(settings)
