import json
from datetime import UTC, datetime
from unittest import mock

from bridge.catalog import lookup
from streams.rpm import OrderRouting


def order(uuid: int, program: int | None) -> dict:
    at = datetime(2021, 2, 21, 18, tzinfo=UTC)
    payload = {"uuid": uuid, "patient_rpm_program_uuid": program, "created_at": at}
    return {"event_id": f"e{uuid}", "event_time": at, "payload": payload}


async def test_a_batch_sends_one_record_per_partition_of_its_programs():
    topic = mock.Mock(send=mock.AsyncMock())
    routing = OrderRouting(topic, lambda key: int(key) % 2)
    created, deleted = lookup("device_order_created"), lookup("device_order_deleted")
    for uuid, program in [(1, 10), (2, 11), (3, 12), (4, None)]:
        routing.add(created, order(uuid, program))
    routing.add(deleted, order(1, 10))
    routing.add(lookup("task-created"), {"event_id": "t"})  # not a device order
    await routing.send()

    sent = {
        call.kwargs["partition"]: json.loads(call.kwargs["value"])
        for call in topic.send.await_args_list
    }
    assert {p: [(c["kind"], c["order"]) for c in changes] for p, changes in sent.items()} == {
        0: [("created", 1), ("created", 3), ("deleted", 1)],
        1: [("created", 2)],
    }
    assert sent[0][0] == {
        "kind": "created", "order": 1, "program": 10, "day": "2021-02-21", "event_id": "e1"
    }  # fmt: skip


async def test_a_record_per_program_while_partitions_are_unknown():
    topic = mock.Mock(send=mock.AsyncMock())
    routing = OrderRouting(topic, lambda key: None)
    for uuid, program in [(1, 10), (2, 11), (3, 10)]:
        routing.add(lookup("device_order_created"), order(uuid, program))
    await routing.send()
    assert [call.kwargs["key"] for call in topic.send.await_args_list] == ["10", "11"]
