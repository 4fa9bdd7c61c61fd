"""Webhooks through the bridge, a real worker, and what downstream teams read from its outputs."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from bridge.app import create_app
from bridge.settings import Settings
from streams.app import CONSUMER_METADATA_MAX_AGE_MS
from tests import SECRET
from tests.cluster import consume
from tests.conftest import load_fixture

pytestmark = pytest.mark.integration
AUTH = {"Authorization": f"Bearer {SECRET}"}
PROGRAMS = (676991425, 676991426, 676991427)


@pytest.fixture
def bridge(live_settings: Settings) -> Iterator[Flask]:
    app = create_app(live_settings)
    yield app
    app.extensions["docink"].publisher.close()


def post(bridge: Flask, body: dict[str, Any]) -> str:
    response = bridge.test_client().post("/webhooks/docink", json=body, headers=AUTH)
    assert response.status_code == 202, response.json
    return response.json["event_id"]


# One creation time for the whole run, so a redelivery is the very same webhook.
NOW = datetime.now(UTC).isoformat()


def device_order(kind: str, order: int, program: int | None) -> dict[str, Any]:
    body = load_fixture("device_order_created")
    now = NOW
    body["event_name"] = f"device_order_{kind}"
    body["payload"] = {
        **body["payload"],
        "uuid": 5_000_000 + order,
        "patient_rpm_program_uuid": program,
        "created_at": now,
        "updated_at": now,
    }
    return body


def wait_for(check, timeout: float = 90.0, interval: float = 0.5):
    """``check()`` once it is truthy; its last value when ``timeout`` runs out."""
    deadline = time.monotonic() + timeout
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(interval)
    return value


def counts_of(worker, program: int) -> dict | None:
    return worker.get(f"/rpm-programs/{program}/device-orders")


def test_outputs_are_exact_once_per_event(bridge, worker, live_settings):
    prefix = live_settings.topic_prefix
    without_token = load_fixture("bot-installation")
    without_token["org_uuid"] = without_token["payload"]["org_uuid"] = 42
    without_token["payload"]["org_name"] = "No Token Clinic"
    without_token["payload"]["token"] = None
    ids = [
        post(bridge, load_fixture("bot-installation")),
        post(bridge, load_fixture("device_order_created")),
        post(bridge, without_token),
        post(bridge, without_token),  # DocInk retries: same event id
    ]
    unknown = {**load_fixture("device_order_created"), "event_name": "Invoice paid"}
    ids += [post(bridge, unknown), post(bridge, {**unknown, "event_time": "2021-03-01T00:00:00Z"})]

    expected = {program: 0 for program in PROGRAMS}
    for order in range(50):
        program = PROGRAMS[order % 3]
        ids.append(post(bridge, device_order("created", order, program)))
        expected[program] = expected.get(program, 0) + 1
    for order in range(10):  # redeliveries
        post(bridge, device_order("created", order, PROGRAMS[order % 3]))
    for order in range(40, 46):  # deletions, one of them delivered twice
        ids.append(post(bridge, device_order("deleted", order, PROGRAMS[order % 3])))
        expected[PROGRAMS[order % 3]] -= 1
    post(bridge, device_order("deleted", 45, PROGRAMS[45 % 3]))
    ids.append(post(bridge, device_order("deleted", 999, PROGRAMS[0])))  # never created
    ids.append(post(bridge, device_order("deleted", 998, None)))  # names no program
    distinct = set(ids)

    enriched = consume(live_settings, f"{prefix}.events.enriched", len(distinct), 90, settle=3)
    assert Counter(r.value["event_id"] for r in enriched) == Counter(distinct)
    by_id = {r.value["event_id"]: r.value for r in enriched}
    install = by_id[ids[0]]
    assert install["category"] == "installation" and install["org_name"] == "Jakes dev"
    assert load_fixture("bot-installation")["payload"]["token"] not in install["payload_json"]
    order_event = by_id[ids[1]]
    assert order_event["org_name"] is None  # its org never installed the bot: still flows
    assert order_event["category"] == "rpm" and order_event["ingest_lag_ms"] > 0
    assert by_id[ids[4]]["category"] == "unknown"
    assert by_id[ids[4]]["event_name"] == "invoice-paid"

    alerts = consume(live_settings, f"{prefix}.alerts", 2, timeout=60, settle=3)
    kinds = Counter(alert.value["kind"] for alert in alerts)
    assert kinds == {"bot_install_without_token": 1, "unknown_event_type": 1}, kinds
    [token_alert] = [a.value for a in alerts if a.value["kind"] == "bot_install_without_token"]
    assert (token_alert["org_uuid"], token_alert["org_name"]) == (42, "No Token Clinic")
    assert token_alert["event_id"] == ids[2]

    today = datetime.now(UTC).date().isoformat()
    for program, count in expected.items():
        # The published fixture's order (created 2021-02-21) counts all-time, not today.
        all_time = count + (program == load_fixture("device_order_created")["payload"][
            "patient_rpm_program_uuid"])  # fmt: skip
        view = wait_for(lambda p=program, c=all_time: (v := counts_of(worker, p)) and
                        v["all_time"] == c and v)  # fmt: skip
        assert view, counts_of(worker, program)
        assert view == {"program_uuid": program, "all_time": all_time,
                        "today": {"date": today, "count": count}}  # fmt: skip

    latest = {}
    for record in consume(live_settings, f"{prefix}.rpm-program-device-orders", 6, settle=2):
        latest[record.key] = record.value
    for program, count in expected.items():
        assert latest[str(program).encode()]["window"] is None
        assert latest[f"{program}/{today}".encode()]["count"] == count
        assert latest[f"{program}/{today}".encode()]["window"]["start"].date().isoformat() == today
    assert latest[b"676991425"]["count"] == expected[676991425] + 1
    assert latest[b"676991425/2021-02-21"]["count"] == 1

    metrics = worker.get("/metrics")
    assert "docink_streams_messages_received_total" in metrics


def test_a_bad_record_is_dead_lettered_and_the_agent_goes_on(bridge, worker, live_settings):
    from confluent_kafka import Producer

    prefix = live_settings.topic_prefix
    producer = Producer({"bootstrap.servers": live_settings.bootstrap_servers})
    producer.produce(f"{prefix}.device-order-created", key=b"1", value=b"not avro at all")
    producer.flush(10)
    after = post(bridge, device_order("created", 1, PROGRAMS[0]))

    dead = consume(live_settings, f"{prefix}.streams.deadletter", 1, timeout=60, settle=3)
    # The one agent that reads the topic (and routes its device orders) says so once.
    assert [d.value["agent"] for d in dead] == ["enrich_events"]
    for letter in (d.value for d in dead):
        assert letter["source_topic"] == f"{prefix}.device-order-created"
        assert letter["reason"] == "not Confluent wire format: bad magic byte"
        assert letter["value"] == b"not avro at all" and letter["key"] == b"1"
        assert letter["offset"] == 0
    enriched = consume(live_settings, f"{prefix}.events.enriched", 1, timeout=60, settle=2)
    assert [r.value["event_id"] for r in enriched] == [after]
    assert wait_for(lambda: (counts_of(worker, PROGRAMS[0]) or {}).get("all_time") == 1)


def test_counts_are_exact_after_kill_9(bridge, worker, live_settings):
    orders = 300
    sent: list[int] = []

    def send() -> None:  # over several seconds: the worker counts in many batches
        for order in range(orders):
            post(bridge, device_order("created", order, PROGRAMS[order % 3]))
            sent.append(order)
            if order % 7 == 0:  # and some redeliveries
                post(bridge, device_order("created", order, PROGRAMS[order % 3]))
            time.sleep(0.02)

    def counted() -> int:
        return (counts_of(worker, PROGRAMS[0]) or {}).get("all_time", 0)

    sender = threading.Thread(target=send)
    sender.start()
    try:
        # Killed soon after its counts grew: most likely after a batch's table writes reached
        # Kafka and before its offsets were committed (every second), so that the restarted
        # worker replays changes it had counted. Twice: the second time, mid-stream again.
        killed_at = 0
        for _ in range(2):
            assert wait_for(lambda k=killed_at: counted() > k, interval=0.05)
            time.sleep(0.3)
            killed_at = counted()
            worker.kill()
            worker.start()
    finally:
        sender.join()
    assert len(sent) == orders
    for program in PROGRAMS:
        expected = sum(1 for order in range(orders) if PROGRAMS[order % 3] == program)
        view = wait_for(
            lambda p=program, e=expected: (counts_of(worker, p) or {}).get("all_time") == e
        )
        assert view, (program, expected, counts_of(worker, program))


def test_any_worker_answers_for_any_program(bridge, worker, live_settings, tmp_path):
    from devstack.ports import free_port
    from tests.streams.conftest import Worker

    second = Worker(live_settings, free_port(), tmp_path / "data2", tmp_path / "worker2.log")
    second.start()
    try:
        for order in range(30):
            post(bridge, device_order("created", 10_000 + order, PROGRAMS[order % 3]))
        for program in PROGRAMS:
            for each in (worker, second):  # one of them owns the program, the other forwards
                assert wait_for(
                    lambda w=each, p=program: (counts_of(w, p) or {}).get("all_time") == 10
                ), (program, counts_of(each, program), second.log_tail())
    finally:
        second.stop()


@pytest.mark.parametrize("tracked", [False, True])
async def test_the_producer_keeps_the_metadata_of_the_topics_it_tracks(live_settings, tracked):
    """Why the worker makes its producer track every topic it writes (``track_topics``); should
    aiokafka keep the untracked topic's metadata one day, ``track_topics`` can go."""
    from aiokafka import AIOKafkaProducer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": live_settings.bootstrap_servers})
    known, new = (f"{live_settings.topic_prefix}-{name}" for name in ("known", "new"))
    admin.create_topics([NewTopic(known, 1, 1)])[known].result(30)
    producer = AIOKafkaProducer(bootstrap_servers=live_settings.bootstrap_servers)
    await producer.start()
    try:
        if tracked:
            producer.client.set_topics([known, new])
        await producer.client.force_metadata_update()  # as Faust does after creating a topic
        await producer.send_and_wait(known, b"1")  # its metadata was there: not tracked
        admin.create_topics([NewTopic(new, 1, 1)])[new].result(30)
        await producer.send_and_wait(new, b"1")  # its metadata was not: tracked from now on
        await producer.client.force_metadata_update()
        kept = producer.client.cluster.partitions_for_topic(known)
    finally:
        await producer.stop()
    assert kept == ({0} if tracked else None)


@pytest.mark.parametrize("max_age_ms", [300_000, CONSUMER_METADATA_MAX_AGE_MS])
async def test_a_topic_created_just_after_the_group_joined_is_read_after_a_metadata_refresh(
    live_settings, max_age_ms
):
    """Why the worker refreshes its consumer's metadata every few seconds: an internal topic
    that the broker's metadata did not show when the group was assigned is only read once the
    consumer sees it (aiokafka then rejoins the group)."""
    import asyncio

    from aiokafka import AIOKafkaConsumer
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": live_settings.bootstrap_servers})
    known, late = (f"{live_settings.topic_prefix}-{name}" for name in ("known", "late"))
    admin.create_topics([NewTopic(known, 1, 1)])[known].result(30)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=live_settings.bootstrap_servers,
        group_id=f"{live_settings.topic_prefix}-group", auto_offset_reset="earliest",
        metadata_max_age_ms=max_age_ms,
    )  # fmt: skip
    await consumer.start()
    consumer.subscribe([known, late])  # as Faust subscribes, after its start
    producer = Producer({"bootstrap.servers": live_settings.bootstrap_servers})
    try:
        await consumer.getmany(timeout_ms=3000)  # joined, assigned without the late topic
        admin.create_topics([NewTopic(late, 1, 1)])[late].result(30)
        producer.produce(late, b"1")
        assert producer.flush(30) == 0
        read = []
        deadline = asyncio.get_running_loop().time() + 15
        while not read and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            read = [r for tp, records in batches.items() if tp.topic == late for r in records]
    finally:
        await consumer.stop()
    assert bool(read) == (max_age_ms == CONSUMER_METADATA_MAX_AGE_MS)


def test_a_record_kafka_refuses_stops_the_worker_before_its_event_is_committed(
    bridge, worker, live_settings
):
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource

    prefix = live_settings.topic_prefix
    admin = AdminClient({"bootstrap.servers": live_settings.bootstrap_servers})
    limit = ConfigEntry("max.message.bytes", "64", incremental_operation=AlterConfigOpType.SET)
    too_small = ConfigResource("topic", f"{prefix}.events.enriched", incremental_configs=[limit])
    for done in admin.incremental_alter_configs([too_small]).values():
        done.result(30)
    post(bridge, device_order("created", 1, PROGRAMS[0]))

    assert worker.process.wait(60) != 0
    assert "publishing to topic=" + f"{prefix}.events.enriched failed" in worker.log_tail(400)
    group = Consumer(
        {"bootstrap.servers": live_settings.bootstrap_servers, "group.id": f"{prefix}-streams"}
    )
    topic = f"{prefix}.device-order-created"
    partitions = [TopicPartition(topic, p) for p in range(live_settings.topic_partitions)]
    try:
        committed = group.committed(partitions, timeout=30)
    finally:
        group.close()
    assert all(tp.offset < 1 for tp in committed)  # none, or before the event
