"""Table reads and writes on the agents' hot path, for a fraction of Faust's cost per operation.

``table[key] = value`` in Faust serializes through the changelog topic's schema, queues a pending
message in the producer buffer, and calls the sensors before and after the send and once more for
the write: about twice what sending the record costs. ``FastTable`` writes the same changelog
record (same key and value bytes, to the partition of the event being handled) through the
agents' producer (``streams.producer``), and the same value to the table's store. Faust flushes
that producer too before it commits offsets, so a write reaches the changelog before the offsets
of the event that made it are committed, as with ``table[key] = value``; recovery reads the
changelog as ever.

Every write of a table must go through its ``FastTable``: the two paths may reorder one key's
writes.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import faust
from confluent_kafka import Message
from faust.sensors.prometheus import PrometheusMonitor
from faust.types import TP

from streams.producer import AgentProducer, keeps_changelog_offsets

logger = logging.getLogger(__name__)


_compact_json = json.JSONEncoder(separators=(",", ":")).encode  # (json.dumps builds one a call)


def changelog_bytes(value: Any) -> bytes:
    """A key or value as Faust's ``json`` codec writes it to a changelog (compact, ASCII)."""
    return _compact_json(value).encode()


class FastTable:
    """A Faust table's store and changelog, read and written without Faust's per-operation
    machinery; table operations still count in ``/metrics``.

    Keys and values must be plain JSON data; reads and writes run with the event being handled
    as Faust's current event (``streams.batches.current``), as ``table[key]`` needs.
    """

    def __init__(self, app: faust.App, table: faust.Table) -> None:
        self._producer: AgentProducer = app.agent_producer
        self.table = table
        self._topic = table.changelog_topic.get_topic_name()
        persistent = keeps_changelog_offsets(str(app.conf.store))
        self._on_delivered = self._producer.reporter(self._written) if persistent else None
        self._counts = None
        if isinstance(app.monitor, PrometheusMonitor):
            operations = app.monitor._metrics.table_operations
            label = f"table.{table.name}"
            self._counts = (
                operations.labels(table=label, operation=PrometheusMonitor.KEYS_RETRIEVED),
                operations.labels(table=label, operation=PrometheusMonitor.KEYS_UPDATED),
            )

    def get(self, key: str) -> Any | None:
        """The value of ``key``, or None."""
        if self._counts:
            self._counts[0].inc()
        return self.table.data.get(key)

    async def set(self, key: str, value: Any, partition: int) -> None:
        """Set ``key`` in the store and write it to the changelog's ``partition`` (the partition
        of the event that made the change)."""
        self.table.data[key] = value
        await self.write_changelog(changelog_bytes(key), changelog_bytes(value), partition)
        if self._counts:
            self._counts[1].inc()

    async def write_changelog(self, key: bytes, value: bytes, partition: int) -> None:
        """Send one changelog record (to the producer's queue; Faust flushes it before a
        commit)."""
        await self._producer.send(self._topic, key, value, partition, self._on_delivered)

    def _written(self, written: Message) -> None:
        # What Faust does after a changelog write: a RocksDB store remembers the offset it has.
        self.table.data.set_persisted_offset(
            TP(written.topic(), written.partition()), written.offset()
        )
