"""Pure logic of the device-order counts: per-order states, daily windows, count updates.

Counts are of distinct orders: created once, minus deleted once, whatever the duplicates, the
redeliveries or the order in which created and deleted arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

CREATED = "created"
DELETED = "deleted"
COUNTED = "counted"
DAY = timedelta(days=1)
# Daily counts older than this (before the newest day of a program) leave the table; the
# compacted topic keeps them.
DAILY_COUNTS_KEPT = 35
ALL_TIME = "all"
S = TypeVar("S")


@dataclass(frozen=True)
class OrderChange:
    """A device order created or deleted, routed by its RPM program."""

    kind: str
    order: int
    program: int
    day: str
    event_id: str

    def as_json(self) -> dict[str, Any]:
        return dict(vars(self))


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
    added = {ALL_TIME: counts[ALL_TIME], "days": dict(counts["days"])} if counts else None
    added = added or {ALL_TIME: 0, "days": {}}
    add_deltas_into(added, deltas)
    return added


def add_deltas_into(counts: dict[str, Any], deltas: list[tuple[str, int]]) -> None:
    """Add ``deltas`` to ``counts`` in place.

    Counts made here keep only recent days, so only a day they did not have can change which
    days are kept.
    """
    days = counts["days"]
    new_day = False
    for window, delta in deltas:
        if window == ALL_TIME:
            counts[ALL_TIME] += delta
        else:
            new_day = new_day or window not in days
            days[window] = days.get(window, 0) + delta
    if new_day:
        newest = max(days)
        oldest_kept = (datetime.fromisoformat(newest) - DAILY_COUNTS_KEPT * DAY).date().isoformat()
        for day in [day for day in days if day <= oldest_kept]:
            del days[day]


# Where a change was read: (offset in the program-partitioned topic, index in that record).
Position = tuple[int, int]
NOWHERE: Position = (-1, -1)


@dataclass(frozen=True)
class Step:
    """What one change does: values to store (None: unchanged), windows to publish."""

    state: dict[str, Any] | None
    counts: dict[str, Any] | None
    windows: list[str]


def _position(counts: dict[str, Any] | None) -> Position:
    offset, index = counts.get("position", NOWHERE) if counts else NOWHERE
    return offset, index


def order_step(
    state: dict[str, Any] | None, change: OrderChange, position: Position
) -> tuple[dict[str, Any] | None, list[tuple[str, int]]]:
    """An order's new state (None: unchanged) and the deltas of one change; a replayed change
    (its position is in the state's history) has the deltas it had."""
    history = state.get("changes", []) if state else []
    replayed = next((made for made in history if tuple(made["position"]) == position), None)
    if replayed is not None:
        return None, [tuple(delta) for delta in replayed["deltas"]]
    new_state, deltas = apply_change(state, change)
    if new_state is state:
        return None, deltas
    made = {"position": list(position), "deltas": deltas}
    return {**new_state, "changes": [*history, made]}, deltas


def counts_hold(counts: dict[str, Any] | None, position: Position) -> bool:
    """Whether ``counts`` already hold the change read at ``position``."""
    return _position(counts) >= position


def count_step(
    state: dict[str, Any] | None,
    counts: dict[str, Any] | None,
    change: OrderChange,
    position: Position,
) -> Step:
    """Apply one change, idempotently under replay after a crash.

    An order state keeps each change that made it, with its position and deltas (two at most:
    counted, then deleted); a program's counts keep the position of the last change they hold.
    So a replayed change neither counts twice (the counts' position is at or past it) nor is
    lost (its deltas are in the order state), whichever writes reached Kafka before the crash.
    A replay republishes its windows: the published records may not have reached Kafka.
    """
    new_state, deltas = order_step(state, change, position)
    if deltas and not counts_hold(counts, position):
        new_counts = {**add_deltas(counts, deltas), "position": list(position)}
    else:
        new_counts = None
    return Step(new_state, new_counts, [window for window, _ in deltas])


class Tally(Generic[S]):
    """The changes of one batch applied in memory, so that each order state, each program's
    counts and each published window is written once per batch, however many changes it saw.

    ``load_state`` and ``load_counts`` read the tables; ``source`` (the event a change came
    from) is kept per written key, so that the agent writes each key where its change was read.
    """

    def __init__(
        self,
        load_state: Callable[[str], dict[str, Any] | None],
        load_counts: Callable[[str], dict[str, Any] | None],
    ) -> None:
        self._load_state, self._load_counts = load_state, load_counts
        self.states: dict[str, tuple[dict[str, Any], S]] = {}
        self.counts: dict[str, tuple[dict[str, Any], S]] = {}
        self.published: dict[str, dict[str, int]] = {}  # program -> window -> count

    def add(self, change: OrderChange, position: Position, source: S) -> None:
        """Apply one change, as ``count_step`` does; a program's counts are copied once per
        batch and updated in place."""
        order, program = str(change.order), str(change.program)
        state = self.states[order][0] if order in self.states else self._load_state(order)
        new_state, deltas = order_step(state, change, position)
        if new_state is not None:
            self.states[order] = (new_state, source)
        if not deltas:
            return
        tallied = self.counts.get(program)
        counts = tallied[0] if tallied else self._load_counts(program)
        if not counts_hold(counts, position):
            if tallied is None:  # the table's value stays as it is until the batch is written
                counts = add_deltas(counts, [])
            add_deltas_into(counts, deltas)
            counts["position"] = list(position)
            self.counts[program] = (counts, source)
        # The count as of this change: a day may leave the table later.
        windows = self.published.setdefault(program, {})
        windows.update((window, count_for(counts, window)) for window, _ in deltas)


def count_for(counts: dict[str, Any] | None, window: str) -> int:
    """The count of one window (``ALL_TIME`` or an ISO day)."""
    if not counts:
        return 0
    return counts[ALL_TIME] if window == ALL_TIME else counts["days"].get(window, 0)
