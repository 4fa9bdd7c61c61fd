"""Duplicate suppression: event ids that Kafka confirmed within a window, in this process."""

from __future__ import annotations

import threading

from cachetools import TTLCache


class SeenEvents:
    """Event ids remembered for ``window_seconds`` (at most ``max_ids``, oldest dropped first).

    Record an id only after Kafka confirmed its event, so an id that failed is not suppressed.
    A window of 0 remembers nothing.
    """

    def __init__(self, window_seconds: float, max_ids: int) -> None:
        self._enabled = window_seconds > 0 and max_ids > 0
        self._ids: TTLCache[str, bool] = TTLCache(maxsize=max(1, max_ids), ttl=window_seconds)
        self._lock = threading.Lock()

    def seen(self, event_id: str) -> bool:
        """Whether ``event_id`` was confirmed within the window."""
        if not self._enabled:
            return False
        with self._lock:
            return event_id in self._ids

    def remember(self, event_id: str) -> None:
        """Record that Kafka confirmed ``event_id``."""
        if self._enabled:
            with self._lock:
                self._ids[event_id] = True
