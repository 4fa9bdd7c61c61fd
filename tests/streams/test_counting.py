from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.counting import (
    ALL_TIME,
    CREATED,
    DELETED,
    OrderChange,
    Tally,
    add_deltas,
    apply_change,
    count_for,
    count_step,
    day_window,
    order_change,
    window_of_day,
)

DAY = "2021-02-21"


def created(order: int = 1, program: int = 7) -> OrderChange:
    return OrderChange(CREATED, order, program, DAY, f"e{order}")


def deleted(order: int = 1, program: int = 7) -> OrderChange:
    return OrderChange(DELETED, order, program, DAY, f"d{order}")


def test_day_window_is_the_utc_day():
    start, end = day_window(datetime(2021, 2, 21, 23, 30, tzinfo=timezone(timedelta(hours=-5))))
    assert (start, end) == (datetime(2021, 2, 22, tzinfo=UTC), datetime(2021, 2, 23, tzinfo=UTC))
    assert window_of_day("2021-02-22") == (start, end)


def test_order_change_reads_program_and_creation_day(device_order_created):
    record = {
        "event_id": "e",
        "event_time": datetime(2021, 2, 21, 18, 15, 4, tzinfo=UTC),
        "payload": {
            "uuid": 1,
            "patient_rpm_program_uuid": 9,
            "created_at": datetime(2021, 2, 20, 23, 0, tzinfo=UTC),
        },
    }
    assert order_change(CREATED, record) == OrderChange(CREATED, 1, 9, "2021-02-20", "e")
    record["payload"]["patient_rpm_program_uuid"] = None
    assert order_change(DELETED, record) is None


def test_created_then_duplicate_then_deleted():
    state, deltas = apply_change(None, created())
    assert deltas == [(ALL_TIME, 1), (DAY, 1)]
    assert apply_change(state, created()) == (state, [])
    state, deltas = apply_change(state, deleted())
    assert deltas == [(ALL_TIME, -1), (DAY, -1)]
    assert apply_change(state, deleted()) == (state, [])
    assert apply_change(state, created()) == (state, [])


def test_deleted_before_created_never_counts():
    state, deltas = apply_change(None, deleted())
    assert deltas == []
    assert apply_change(state, created()) == (state, [])


def test_add_deltas_keeps_recent_days():
    counts = add_deltas(None, [(ALL_TIME, 1), ("2021-01-01", 1)])
    counts = add_deltas(counts, [(ALL_TIME, 1), ("2021-03-01", 1)])
    assert count_for(counts, ALL_TIME) == 2
    assert count_for(counts, "2021-03-01") == 1
    assert count_for(counts, "2021-01-01") == 0  # older than 35 days before the newest day
    assert count_for(None, ALL_TIME) == 0


def run(changes):
    """Apply changes like the agent does, one record each; the final state per order, the
    counts."""
    states, counts = {}, None
    for offset, change in enumerate(changes):
        step = count_step(states.get(change.order), counts, change, (offset, 0))
        counts = step.counts if step.counts is not None else counts
        if step.state is not None:
            states[change.order] = step.state
    return states, counts


def test_steps_count_distinct_orders():
    _, counts = run([created(1), created(2), created(1), deleted(2), deleted(3)])
    assert count_for(counts, ALL_TIME) == 1 and count_for(counts, DAY) == 1


def test_replay_after_both_writes_landed_counts_nothing_and_republishes():
    states, counts = run([created(1)])
    step = count_step(states[1], counts, created(1), (0, 0))
    assert (step.state, step.counts, step.windows) == (None, None, [ALL_TIME, DAY])


def test_replay_when_only_the_counts_write_landed_does_not_count_twice():
    _, counts = run([created(1)])
    step = count_step(None, counts, created(1), (0, 0))  # the order state was lost
    assert step.counts is None and step.state["status"] == "counted"
    assert step.windows == [ALL_TIME, DAY]


def test_replay_when_only_the_order_write_landed_still_counts():
    states, _ = run([created(1)])
    step = count_step(states[1], None, created(1), (0, 0))  # the counts write was lost
    assert count_for(step.counts, ALL_TIME) == 1
    assert step.windows == [ALL_TIME, DAY]


def test_replay_of_created_then_deleted_when_only_the_order_write_landed():
    # Both changes in one batch: the order state holds both, the counts write was lost.
    states, _ = run([created(1), deleted(1)])
    step = count_step(states[1], None, created(1), (0, 0))
    step = count_step(states[1], step.counts, deleted(1), (1, 0))
    assert count_for(step.counts, ALL_TIME) == 0 and count_for(step.counts, DAY) == 0


def tally_of(records, states=None, counts=None):
    tally = Tally((states or {}).get, (counts or {}).get)
    for offset, record in enumerate(records):
        for index, change in enumerate(record):
            tally.add(change, (offset, index), f"source{offset}")
    return tally


def test_a_batch_writes_each_key_once_with_its_last_source():
    tally = tally_of([[created(1), created(2)], [created(1, program=8), deleted(2)]])
    assert sorted(tally.states) == ["1", "2"]
    assert tally.states["2"][0]["status"] == DELETED and tally.states["2"][1] == "source1"
    assert sorted(tally.counts) == ["7"]
    assert tally.published == {"7": {ALL_TIME: 1, DAY: 1}}  # order 1 counts under program 7


def test_a_day_that_leaves_the_table_is_published_as_it_was():
    old = OrderChange(CREATED, 1, 7, "2021-01-01", "e1")
    tally = tally_of([[old, OrderChange(CREATED, 2, 7, "2021-03-01", "e2")]])
    assert tally.published["7"] == {ALL_TIME: 2, "2021-01-01": 1, "2021-03-01": 1}
    assert "2021-01-01" not in tally.counts["7"][0]["days"]


# --- crash property ---------------------------------------------------------------------------
# A log of routed records is counted in batches; offsets are committed now and then, after every
# write before them reached Kafka. A crash loses any suffix of each key's writes since the last
# commit; the restarted worker reads the tables back from what reached Kafka and goes on from the
# committed offset. Whatever the batches and the crashes, the counts and the last published
# value of each window are those of the distinct orders.


class Kafka:
    """The changelogs and the published counts, as they reached Kafka (last value per key)."""

    def __init__(self) -> None:
        self.landed: dict[tuple[str, str], object] = {}
        self.pending: dict[tuple[str, str], list] = {}

    def write(self, table: str, key: str, value: object) -> None:
        self.pending.setdefault((table, key), []).append(value)

    def flush(self) -> None:
        for key, values in self.pending.items():
            self.landed[key] = values[-1]
        self.pending.clear()

    def crash(self, data) -> None:
        """Each key keeps a prefix of its unflushed writes (per-partition order)."""
        for key, values in self.pending.items():
            kept = data.draw(st.integers(0, len(values)))
            if kept:
                self.landed[key] = values[kept - 1]
        self.pending.clear()

    def table(self, name: str) -> dict:
        return {key: value for (table, key), value in self.landed.items() if table == name}


def work(log, start: int, kafka: Kafka, data, may_crash: bool) -> int | None:
    """Count from ``start``; the offset to restart from after a crash, None when done."""
    memory = {"orders": kafka.table("orders"), "counts": kafka.table("counts")}
    committed = offset = start
    while offset < len(log):
        end = min(len(log), offset + data.draw(st.integers(1, 4)))
        tally = Tally(memory["orders"].get, memory["counts"].get)
        for at in range(offset, end):
            for index, change in enumerate(log[at]):
                tally.add(change, (at, index), None)
        for table, written in (("orders", tally.states), ("counts", tally.counts)):
            for key, (value, _) in written.items():
                memory[table][key] = value
                kafka.write(table, key, value)
        for program, windows in tally.published.items():
            for window, value in windows.items():
                kafka.write("published", f"{program}/{window}", value)
        offset = end
        if may_crash and data.draw(st.booleans()):
            kafka.crash(data)
            return committed
        if data.draw(st.booleans()) or offset == len(log):
            kafka.flush()
            committed = offset
    return None


changes = st.builds(
    lambda kind, order, day: OrderChange(kind, order, order % 3, f"2021-02-{day}", "e"),
    st.sampled_from([CREATED, DELETED]),
    st.integers(0, 8),
    st.sampled_from(["20", "21"]),
)


@settings(max_examples=300, deadline=None)
@given(log=st.lists(st.lists(changes, min_size=1, max_size=4), min_size=1, max_size=12),
       data=st.data())  # fmt: skip
def test_counts_and_published_counts_are_exact_after_any_crashes(log, data):
    kafka, start = Kafka(), 0
    for _ in range(data.draw(st.integers(0, 3))):
        start = work(log, start, kafka, data, may_crash=True)
        if start is None:
            break
    if start is not None:
        work(log, start, kafka, data, may_crash=False)

    states, expected, touched = {}, {}, set()
    for change in (change for record in log for change in record):
        states[change.order], deltas = apply_change(states.get(change.order), change)
        program = str(change.program)
        expected[program] = add_deltas(expected.get(program), deltas)
        touched |= {(program, window) for window, _ in deltas}
    counts, published = kafka.table("counts"), kafka.table("published")
    for program, want in expected.items():
        for window in (ALL_TIME, *want["days"]):
            assert count_for(counts.get(program), window) == count_for(want, window)
    for program, window in touched:
        assert published[f"{program}/{window}"] == count_for(expected[program], window)
