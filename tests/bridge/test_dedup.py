"""Duplicate suppression: an id Kafka confirmed within the window is not published again."""

from __future__ import annotations

import time
from dataclasses import replace

from bridge.app import create_app
from bridge.dedup import SeenEvents
from tests import SECRET

AUTH = {"Authorization": f"Bearer {SECRET}"}


def test_a_redelivery_is_200_duplicate_and_not_published_again(
    client, publisher, device_order_created
):
    first = client.post("/webhooks/docink", json=device_order_created, headers=AUTH)
    again = client.post("/webhooks/docink", json=device_order_created, headers=AUTH)
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json == {"status": "duplicate", "event_id": first.json["event_id"]}
    assert len(publisher.published) == 1


def test_an_id_is_remembered_only_once_kafka_confirmed_it(client, publisher, device_order_created):
    publisher.failing = True
    assert (
        client.post("/webhooks/docink", json=device_order_created, headers=AUTH).status_code == 503
    )
    publisher.failing = False
    assert (
        client.post("/webhooks/docink", json=device_order_created, headers=AUTH).status_code == 202
    )
    assert len(publisher.published) == 1


def test_dead_letters_are_suppressed_too(client, publisher, bot_installation):
    bot_installation["event_time"] = 12
    statuses = [
        client.post("/webhooks/docink", json=bot_installation, headers=AUTH).status_code
        for _ in "ab"
    ]
    assert statuses == [202, 200]
    assert [p.topic for p in publisher.published] == ["docink.deadletter"]


def test_a_window_of_zero_publishes_every_delivery(
    settings, registry, publisher, device_order_created
):
    app = create_app(
        replace(settings, dedup_window_seconds=0), publisher=publisher, registry=registry
    )
    client = app.test_client()
    for _ in "ab":
        assert (
            client.post("/webhooks/docink", json=device_order_created, headers=AUTH).status_code
            == 202
        )
    assert len(publisher.published) == 2


def test_ids_are_forgotten_after_the_window_and_beyond_the_size():
    seen = SeenEvents(window_seconds=0.05, max_ids=2)
    seen.remember("a")
    assert seen.seen("a")
    time.sleep(0.1)
    assert not seen.seen("a")
    for event_id in "bcd":
        seen.remember(event_id)
    assert not seen.seen("b") and seen.seen("c") and seen.seen("d")
