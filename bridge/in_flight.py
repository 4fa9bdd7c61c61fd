"""A bound on the requests waiting on Kafka at once, so a slow broker cannot take every thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from bridge.errors import Overloaded

# How long a request waits for a slot before it is refused. A healthy broker frees one within
# milliseconds, so a saturated bridge queues instead of refusing (wrk, 128 connections, 5 s: 6-16
# answers 503 instead of 2,800-3,400); a slow broker holds the spare threads no longer than this.
SLOT_WAIT_SECONDS = 0.05


class InFlightBound:
    """At most ``limit`` holders at once in this process; the next waits up to
    ``wait_seconds`` for a slot, then is refused."""

    def __init__(self, limit: int, wait_seconds: float = SLOT_WAIT_SECONDS) -> None:
        self.limit = limit
        self._wait = wait_seconds
        self._slots = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the block; ``Overloaded`` (503) when none frees in time."""
        if not self._slots.acquire(timeout=self._wait):
            raise Overloaded("too many events are waiting for Kafka; retry later")
        try:
            yield
        finally:
            self._slots.release()
