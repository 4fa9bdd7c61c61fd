"""Peak resident memory (RSS) of named process trees during a benchmark, from /proc.

A background thread reads each tree process's RSS (``/proc/<pid>/statm``) every
``INTERVAL_SECONDS``; the trees are found as ``bench.cpu`` finds them, again every
``RESCAN_EVERY`` samples (a granian worker started again joins its tree). At the end, each live
process's ``VmHWM`` (the kernel's own high-water mark of its RSS) catches a peak between two
samples: a process's peak is the larger of the two. A tree's peak is the largest sum of one
sample (or one process's peak, if larger); forked processes share pages, and each counts them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.cpu import PROC, process_stats, tree_members

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.2
RESCAN_EVERY = 5
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def status_kib(text: str) -> dict[str, int]:
    """The fields of a /proc/<pid>/status text given in kB (``VmRSS``, ``VmHWM``, ...)."""
    fields = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        parts = value.split()
        if len(parts) == 2 and parts[1] == "kB":
            fields[name] = int(parts[0])
    return fields


def statm_rss_kib(text: str, page_kib: int = PAGE_KIB) -> int:
    """The resident size of a /proc/<pid>/statm text (its second field, in pages), in KiB."""
    return int(text.split()[1]) * page_kib


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


@dataclass
class TreePeaks:
    """The peak RSS (KiB) of each process of one tree and of the tree, from its samples and
    the processes' high-water marks."""

    root: int
    parents: dict[int, int] = field(default_factory=dict)  # pid -> parent, as found
    sampled: dict[int, int] = field(default_factory=dict)
    high_water: dict[int, int] = field(default_factory=dict)
    tree_sampled: int = 0
    samples: int = 0

    def add(self, rss: Mapping[int, int]) -> None:
        """One sample: the RSS (KiB) of each live process of the tree, read together."""
        for pid, kib in rss.items():
            self.sampled[pid] = max(self.sampled.get(pid, 0), kib)
        self.tree_sampled = max(self.tree_sampled, sum(rss.values()))
        self.samples += 1

    def peak(self, pid: int) -> int:
        return max(self.sampled.get(pid, 0), self.high_water.get(pid, 0))

    def children(self) -> list[int]:
        """The root's direct children (a granian main process's workers), by pid."""
        return sorted(pid for pid, parent in self.parents.items() if parent == self.root)

    def report(self) -> dict[str, Any]:
        """In MiB: the root, each direct child, the tree, and every process seen."""
        pids = sorted(set(self.sampled) | set(self.high_water))
        return {
            "root_mib": _mib(self.peak(self.root)),
            "children_mib": [_mib(self.peak(pid)) for pid in self.children()],
            "tree_mib": _mib(max([self.tree_sampled, *(self.peak(pid) for pid in pids)])),
            "samples": self.samples,
            "processes": [
                {
                    "pid": pid,
                    "parent": self.parents.get(pid),
                    "sampled_mib": _mib(self.sampled.get(pid, 0)),
                    "vmhwm_mib": _mib(self.high_water[pid]) if pid in self.high_water else None,
                    "peak_mib": _mib(self.peak(pid)),
                }
                for pid in pids
            ],
        }


def largest(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The largest of several runs' reports of one tree, figure by figure (children by rank)."""
    ranked = [sorted(r["children_mib"], reverse=True) for r in reports]
    width = max((len(c) for c in ranked), default=0)
    return {
        "root_mib": max(r["root_mib"] for r in reports),
        "children_mib": [max(c[i] for c in ranked if i < len(c)) for i in range(width)],
        "tree_mib": max(r["tree_mib"] for r in reports),
        "runs": len(reports),
    }


def _read(pid: int, name: str) -> str | None:
    try:
        return (PROC / str(pid) / name).read_text()
    except OSError:  # gone
        return None


class MemoryMeter:
    """Samples the RSS of the trees rooted at ``roots`` (name -> pid) between ``start`` and
    ``stop``; ``report`` then gives each tree's peaks."""

    def __init__(self, roots: Mapping[str, int | None]) -> None:
        self._trees = {name: TreePeaks(pid) for name, pid in roots.items() if pid is not None}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._members: dict[str, list[int]] = {}  # name -> live pids, as last found
        self._error: str | None = None

    def _rescan(self) -> None:
        """Find each tree's live processes (and their parents) again."""
        stats = process_stats()
        parents = {pid: int(fields[1]) for pid, fields in stats.items()}
        by_root = {tree.root: name for name, tree in self._trees.items()}
        self._members = {name: [] for name in self._trees}
        for pid, root in tree_members(by_root, parents).items():
            self._members[by_root[root]].append(pid)
            self._trees[by_root[root]].parents[pid] = parents[pid]

    def _sample(self) -> None:
        for name, tree in self._trees.items():
            rss = {}
            for pid in self._members[name]:
                text = _read(pid, "statm")
                if text is not None:
                    rss[pid] = statm_rss_kib(text)
            tree.add(rss)

    def _run(self) -> None:
        n = 0
        try:
            while True:
                if n % RESCAN_EVERY == 0:
                    self._rescan()
                self._sample()
                n += 1
                if self._stop.wait(INTERVAL_SECONDS):
                    return
        except (OSError, ValueError, IndexError) as exc:
            logger.warning("memory sampling stopped early: %r", exc)
            self._error = repr(exc)

    def start(self) -> MemoryMeter:
        self._thread = threading.Thread(target=self._run, name="bench-memory", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling; take one more sample and every live process's high-water mark."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        if self._error is None:
            self._rescan()
            self._sample()
        for name, tree in self._trees.items():
            for pid in self._members.get(name, []):
                text = _read(pid, "status")
                hwm = status_kib(text).get("VmHWM") if text is not None else None
                if hwm is not None:
                    tree.high_water[pid] = hwm

    def __enter__(self) -> MemoryMeter:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def report(self) -> dict[str, dict[str, Any]]:
        """Each tree's peaks in MiB (after ``stop``)."""
        reports = {name: tree.report() for name, tree in self._trees.items()}
        if self._error:
            for report in reports.values():
                report["error"] = self._error
        return reports
