"""Run-queue wait from /proc: how long a task was runnable but had no CPU."""

from __future__ import annotations

import os

from bench.cpu import runqueue_wait_seconds


def test_runqueue_wait_of_this_thread_and_of_a_pid():
    waited = runqueue_wait_seconds()
    assert waited is not None
    assert 0 <= waited <= runqueue_wait_seconds()
    assert runqueue_wait_seconds(str(os.getpid())) is not None


def test_no_task_no_figure():
    assert runqueue_wait_seconds("no-such-task") is None
