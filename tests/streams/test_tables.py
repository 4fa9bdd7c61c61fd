"""FastTable writes what Faust's own table write would, where it would (no broker)."""

from __future__ import annotations

from unittest import mock

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from bridge.settings import Settings
from streams.app import Streams, create_app
from streams.producer import AgentProducer
from streams.tables import FastTable

VALUES = [
    1_614_000_000_000,
    "Clinique Été",
    {"status": "counted", "day": "2021-02-21",
     "changes": [{"position": [3, 0], "deltas": [["all", 1]]}]},
    {"all": 2, "days": {"2021-02-21": 2}, "position": [7, 1]},
]  # fmt: skip


@pytest.fixture
def streams(settings: Settings, registry: SchemaRegistryClient) -> Streams:
    return create_app(settings, registry=registry)


@pytest.mark.parametrize("value", VALUES)
async def test_a_write_is_faust_s_changelog_record_and_lands_in_the_store(streams, value):
    app = streams.app
    table = app.tables["device_orders"]
    fast = FastTable(app, table)
    with mock.patch.object(AgentProducer, "send", new=mock.AsyncMock()) as send:
        await fast.set("ordér-1", value, partition=4)
        [call] = send.await_args_list
    topic, key, encoded, partition, on_delivered = call.args
    assert (
        topic == table.changelog_topic.get_topic_name() == "docink-streams-device_orders-changelog"
    )
    assert key == table.changelog_topic.prepare_key("ordér-1", None)[0]
    assert encoded == table.changelog_topic.prepare_value(value, None)[0]
    assert partition == 4
    assert on_delivered is None  # a memory store keeps no changelog offsets
    assert table["ordér-1"] == value and fast.get("ordér-1") == value
    assert fast.get("another") is None


async def test_reads_and_writes_count_in_the_metrics(streams):
    app = streams.app
    fast = FastTable(app, app.tables["seen_events"])
    with mock.patch.object(FastTable, "write_changelog", new=mock.AsyncMock()):
        await fast.set("e1", 5, partition=0)
    fast.get("e1")
    fast.get("e2")
    assert operations(app, "seen_events", "keys_retrieved") == 2
    assert operations(app, "seen_events", "keys_updated") == 1


def operations(app, table: str, operation: str) -> float:
    """``docink_streams_table_operations_total`` of one table and operation, as /metrics has it."""
    [family] = app.monitor._metrics.table_operations.collect()
    labels = {"table": f"table.{table}", "operation": operation}
    return next(
        sample.value
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels == labels
    )
