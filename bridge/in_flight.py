"""A bound on the requests waiting on Kafka at once, so a slow broker cannot take every thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from bridge.errors import Overloaded


class InFlightBound:
    """At most ``limit`` holders at once in this process; the next is refused, never queued."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the block; ``Overloaded`` (503) at once when none is free."""
        if not self._slots.acquire(blocking=False):
            raise Overloaded("too many events are waiting for Kafka; retry later")
        try:
            yield
        finally:
            self._slots.release()
