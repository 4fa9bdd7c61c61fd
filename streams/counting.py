"""Pure logic of the device-order counts: per-order states, daily windows, count updates.

Counts are of distinct orders: created once, minus deleted once, whatever the duplicates, the
redeliveries or the order in which created and deleted arrive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

CREATED = "created"
DELETED = "deleted"
COUNTED = "counted"
DAY = timedelta(days=1)
# Daily counts older than this (before the newest day of a program) leave the table; the
# compacted topic keeps them.
DAILY_COUNTS_KEPT = 35
ALL_TIME = "all"


@dataclass(frozen=True)
class OrderChange:
    """A device order created or deleted, routed by its RPM program."""

    kind: str
    order: int
    program: int
    day: str
    event_id: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def day_window(moment: datetime) -> tuple[datetime, datetime]:
    """The tumbling one-day window (UTC) that holds ``moment``: ``[start, end)``."""
    start = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + DAY


def window_of_day(day: str) -> tuple[datetime, datetime]:
    """The window of an ISO date, e.g. ``2021-02-21``."""
    return day_window(datetime.fromisoformat(day).replace(tzinfo=UTC))


def order_change(kind: str, record: dict[str, Any]) -> OrderChange | None:
    """The change a decoded device-order record makes, or None when it names no program."""
    payload = record["payload"]
    program = payload.get("patient_rpm_program_uuid")
    if program is None:
        return None
    created = payload.get("created_at") or record["event_time"]
    day = day_window(created)[0].date().isoformat()
    return OrderChange(kind, payload["uuid"], program, day, record["event_id"])


def apply_change(
    state: dict[str, Any] | None, change: OrderChange
) -> tuple[dict[str, Any] | None, list[tuple[str, int]]]:
    """An order's new state and the count deltas ``[(window, +1 | -1)]`` of one change.

    A window is ``ALL_TIME`` or an ISO day (the day the order was created).
    """
    if state is None and change.kind == CREATED:
        return {"status": COUNTED, "day": change.day}, [(ALL_TIME, 1), (change.day, 1)]
    if state is None and change.kind == DELETED:  # deleted before its creation arrived
        return {"status": DELETED, "day": None}, []
    if state is not None and state["status"] == COUNTED and change.kind == DELETED:
        return {"status": DELETED, "day": state["day"]}, [(ALL_TIME, -1), (state["day"], -1)]
    return state, []  # a duplicate, or a change to an order already deleted


def add_deltas(counts: dict[str, Any] | None, deltas: list[tuple[str, int]]) -> dict[str, Any]:
    """A program's counts ``{"all": n, "days": {day: n}}`` after ``deltas``."""
    counts = counts or {ALL_TIME: 0, "days": {}}
    days = dict(counts["days"])
    total = counts[ALL_TIME]
    for window, delta in deltas:
        if window == ALL_TIME:
            total += delta
        else:
            days[window] = days.get(window, 0) + delta
    if days:
        newest = max(days)
        oldest_kept = (datetime.fromisoformat(newest) - DAILY_COUNTS_KEPT * DAY).date()
        days = {day: n for day, n in days.items() if day > oldest_kept.isoformat()}
    return {ALL_TIME: total, "days": days}


@dataclass(frozen=True)
class Step:
    """What one input record changes: values to store (None: unchanged), windows to publish."""

    state: dict[str, Any] | None
    counts: dict[str, Any] | None
    windows: list[str]


def count_step(
    state: dict[str, Any] | None, counts: dict[str, Any] | None, change: OrderChange, offset: int
) -> Step:
    """Apply one change, idempotently under replay after a crash.

    Each stored value carries the ``offset`` (in the program-partitioned topic) of the record
    that last changed it, so a replayed record neither counts twice (the counts already carry
    its offset) nor is lost (its order state carries its offset and its deltas), whichever of
    the two table writes reached Kafka before the crash.
    """
    if state is not None and state.get("offset") == offset:
        new_state, deltas = state, [tuple(delta) for delta in state["deltas"]]
    else:
        new_state, deltas = apply_change(state, change)
        if new_state is not state:
            new_state = {**new_state, "offset": offset, "deltas": deltas}
    if not deltas or (counts is not None and counts.get("offset", -1) >= offset):
        new_counts = None
    else:
        new_counts = {**add_deltas(counts, deltas), "offset": offset}
    windows = [window for window, _ in deltas] if new_counts else []
    return Step(None if new_state is state else new_state, new_counts, windows)


def count_for(counts: dict[str, Any] | None, window: str) -> int:
    """The count of one window (``ALL_TIME`` or an ISO day)."""
    if not counts:
        return 0
    return counts[ALL_TIME] if window == ALL_TIME else counts["days"].get(window, 0)
