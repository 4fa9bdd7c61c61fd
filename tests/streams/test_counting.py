from datetime import UTC, datetime, timedelta, timezone

from streams.counting import (
    ALL_TIME,
    CREATED,
    DELETED,
    OrderChange,
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


def run(changes, offsets=None):
    """Apply changes like the agent does; returns the final state per order and the counts."""
    states, counts = {}, None
    for offset, change in zip(offsets or range(len(changes)), changes, strict=True):
        step = count_step(states.get(change.order), counts, change, offset)
        counts = step.counts if step.counts is not None else counts
        if step.state is not None:
            states[change.order] = step.state
    return states, counts


def test_steps_count_distinct_orders():
    _, counts = run([created(1), created(2), created(1), deleted(2), deleted(3)])
    assert count_for(counts, ALL_TIME) == 1 and count_for(counts, DAY) == 1


def test_replay_after_both_writes_landed_changes_nothing():
    states, counts = run([created(1)])
    step = count_step(states[1], counts, created(1), 0)
    assert step == count_step(states[1], counts, created(1), 0)
    assert (step.state, step.counts, step.windows) == (None, None, [])


def test_replay_when_only_the_counts_write_landed_does_not_count_twice():
    _, counts = run([created(1)])
    step = count_step(None, counts, created(1), 0)  # the order state was lost
    assert step.counts is None and step.state["status"] == "counted"


def test_replay_when_only_the_order_write_landed_still_counts():
    states, _ = run([created(1)])
    step = count_step(states[1], None, created(1), 0)  # the counts write was lost
    assert count_for(step.counts, ALL_TIME) == 1
    assert step.windows == [ALL_TIME, DAY]
