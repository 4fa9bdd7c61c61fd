"""Delivery reports of the records the agents send, without a callback per record.

A done-callback on each send's future is one more event-loop callback per record; here the
futures wait in a queue, in send order, and are looked at once they are done: at the next send
and at least once a second. What a failed delivery means is unchanged: the error is logged (the
commit that follows is not held back by it, as before); at-least-once rests on Faust flushing
the producer before it commits offsets.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import faust

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 1.0


class Deliveries:
    """The pending delivery futures of records sent to one topic."""

    def __init__(
        self, app: faust.App, topic: str, on_delivered: Callable[[Any], None] | None = None
    ) -> None:
        self.topic = topic
        self._on_delivered = on_delivered
        self._pending: deque[asyncio.Future] = deque()

        @app.timer(SWEEP_INTERVAL_SECONDS, name=f"deliveries:{topic}")
        async def sweep_deliveries() -> None:
            self.sweep()

    def add(self, sent: asyncio.Future) -> None:
        """Track ``sent`` (the future of a send); report those done so far."""
        self._pending.append(sent)
        self.sweep()

    def sweep(self) -> None:
        """Report each delivery that is done, oldest first, up to the first one that is not."""
        pending = self._pending
        while pending and pending[0].done():
            sent = pending.popleft()
            if sent.cancelled():
                continue
            if (exc := sent.exception()) is not None:
                logger.error("publishing to topic=%s failed: %s", self.topic, type(exc).__name__)
            elif self._on_delivered is not None:
                self._on_delivered(sent.result())

    def __len__(self) -> int:
        return len(self._pending)
