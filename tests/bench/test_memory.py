"""Peak RSS of process trees: /proc parsing, peak tracking, and a meter on real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from bench import memory
from bench.cpu import process_stats, tree_members
from bench.report import _memory_lines

STATUS = """Name:\tpython
State:\tS (sleeping)
Pid:\t4242
PPid:\t4200
Groups:\t
VmPeak:\t  402116 kB
VmHWM:\t  131072 kB
VmRSS:\t  102400 kB
RssAnon:\t   81920 kB
Threads:\t34
"""


def test_status_fields_in_kib():
    fields = memory.status_kib(STATUS)
    assert fields["VmHWM"] == 131072
    assert fields["VmRSS"] == 102400
    assert "Threads" not in fields  # not a size
    assert "PPid" not in fields


def test_statm_resident_pages_in_kib():
    assert memory.statm_rss_kib("765 421 392 5 0 123 0\n", page_kib=4) == 421 * 4


def test_tree_members_map_descendants_to_their_root():
    parents = {10: 1, 11: 10, 12: 10, 13: 12, 20: 1, 21: 20, 30: 2}
    assert tree_members({10, 20}, parents) == {10: 10, 11: 10, 12: 10, 13: 10, 20: 20, 21: 20}
    assert tree_members({12, 10}, parents)[13] == 12  # the nearest root
    assert tree_members({99}, parents) == {}


def bridge_like() -> memory.TreePeaks:
    """A granian main (100) with workers 101 and 102; 103 is a child of worker 101."""
    return memory.TreePeaks(root=100, parents={100: 1, 101: 100, 102: 100, 103: 101})


def test_a_process_peak_is_its_largest_sample():
    peaks = bridge_like()
    peaks.add({100: 1024, 101: 2048})
    peaks.add({100: 512, 101: 4096})
    peaks.add({100: 768, 101: 3072})
    assert peaks.peak(100) == 1024
    assert peaks.peak(101) == 4096
    assert peaks.samples == 3


def test_the_tree_peak_is_the_largest_sum_of_one_sample_not_the_sum_of_peaks():
    peaks = bridge_like()
    peaks.add({100: 4096, 101: 1024})
    peaks.add({100: 1024, 101: 4096})
    assert peaks.report()["tree_mib"] == 5.0  # not 8


def test_the_high_water_mark_beats_a_lower_sample():
    peaks = bridge_like()
    peaks.add({100: 1024, 101: 2048, 102: 2048})
    peaks.high_water.update({101: 10 * 1024, 102: 1024})  # 101 peaked between samples
    report = peaks.report()
    assert report["children_mib"] == [10.0, 2.0]
    by_pid = {p["pid"]: p for p in report["processes"]}
    assert by_pid[101] == {"pid": 101, "parent": 100, "sampled_mib": 2.0, "vmhwm_mib": 10.0,
                           "peak_mib": 10.0}  # fmt: skip
    assert by_pid[100]["vmhwm_mib"] is None  # not read: e.g. gone by the end
    assert report["tree_mib"] == 10.0  # at least one process's own peak


def test_children_are_the_roots_direct_children_each_on_its_own():
    peaks = bridge_like()
    peaks.add({100: 30 * 1024, 101: 100 * 1024, 102: 110 * 1024, 103: 50 * 1024})
    report = peaks.report()
    assert report["root_mib"] == 30.0
    assert report["children_mib"] == [100.0, 110.0]  # 103 is a grandchild: only in the tree
    assert report["tree_mib"] == 290.0


def test_largest_of_several_runs_figure_by_figure():
    runs = [
        {"root_mib": 10.0, "children_mib": [5.0, 9.0], "tree_mib": 20.0},
        {"root_mib": 12.0, "children_mib": [7.0], "tree_mib": 18.0},
    ]
    assert memory.largest(runs) == {
        "root_mib": 12.0, "children_mib": [9.0, 5.0], "tree_mib": 20.0, "runs": 2,
    }  # fmt: skip


def test_the_table_has_a_memory_section_per_phase_and_tree():
    bridge = {"root_mib": 40.0, "children_mib": [101.5, 99.0], "tree_mib": 240.5}
    worker = {"root_mib": 150.0, "children_mib": [], "tree_mib": 150.0}
    results = {
        "plan": {"only": "http,rates,stream,e2e"},
        "http_memory": {"bridge": bridge},
        "stream": {"summary": {"memory": {"worker": {**worker, "runs": 3}}}},
        "e2e": {"memory": {"bridge": bridge, "worker": worker}},
    }
    lines = _memory_lines(results)
    assert "Peak memory" in lines[1]
    rows = [line.split("|") for line in lines[3:-1]]
    assert [(r[0].strip(), r[1].strip()) for r in rows] == [
        ("http+rates", "bridge"), ("stream", "worker"), ("e2e", "bridge"), ("e2e", "worker"),
    ]  # fmt: skip
    assert rows[0][2].strip() == "40.0"
    assert rows[0][3].split() == ["101.5", "99.0"]
    assert rows[1][4].split() == ["150.0", "(largest", "of", "3", "rounds)"]
    assert _memory_lines({"plan": {"only": "stream"}, "stream": None}) == []


# A parent that starts a child which holds 64 MiB for a moment, frees it, then waits: the meter
# starts after the peak, so only the child's high-water mark can show it.
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=sys.stdout)
time.sleep(120)
"""
CHILD = """
import sys, time
block = bytearray(64 * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1
del block
print("freed", flush=True)
time.sleep(120)
"""


@pytest.fixture
def tree() -> Iterator[subprocess.Popen[str]]:
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD], stdout=subprocess.PIPE, text=True
    ) as parent:
        try:
            assert parent.stdout is not None
            assert parent.stdout.readline().strip() == "freed"
            yield parent
        finally:
            parents = {pid: int(fields[1]) for pid, fields in process_stats().items()}
            for pid in tree_members({parent.pid}, parents):
                if pid != parent.pid:
                    os.kill(pid, signal.SIGKILL)
            parent.kill()


def test_the_meter_finds_the_child_and_its_peak_between_samples(tree):
    meter = memory.MemoryMeter({"parent": tree.pid, "none": None})
    with meter:
        time.sleep(3 * memory.INTERVAL_SECONDS)
    report = meter.report()
    assert set(report) == {"parent"}
    peaks = report["parent"]
    assert peaks["samples"] >= 2
    [child] = peaks["children_mib"]
    assert child >= 64  # from VmHWM: the 64 MiB were freed before the first sample
    sampled = {p["pid"]: p["sampled_mib"] for p in peaks["processes"]}
    assert min(sampled.values()) > 0
    assert max(sampled.values()) < 64
    assert peaks["root_mib"] > 0
    assert peaks["tree_mib"] >= child
