"""CPU time by process tree from /proc: where the machine's cycles went during one measurement."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _stat_fields(pid: str) -> list[str] | None:
    try:
        text = (PROC / pid / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields after the command name


def process_stats() -> dict[int, list[str]]:
    """The /proc stat fields after the command name of every live process, by pid (``[1]`` is
    the parent's pid, ``[11]`` and ``[12]`` the user and system CPU ticks)."""
    stats = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(entry.name)) is not None:
            stats[int(entry.name)] = fields
    return stats


def tree_members(roots: Collection[int], parents: Mapping[int, int]) -> dict[int, int]:
    """Each process in ``parents`` (pid -> parent pid) that is one of ``roots`` or descends from
    one, mapped to that root (the nearest, should roots nest)."""
    members = {}
    for pid in parents:
        ancestor = pid
        while ancestor > 1 and ancestor not in roots:
            ancestor = parents.get(ancestor, 0)
        if ancestor in roots:
            members[pid] = ancestor
    return members


def runqueue_wait_seconds(task: str = "thread-self") -> float | None:
    """Seconds a task (this thread, or a pid's main thread) was runnable but waiting for a CPU,
    since it started: other processes' load, where it says more than the wall clock; from
    /proc/<task>/schedstat, None without one."""
    try:
        return int((PROC / task / "schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def _tree_seconds(roots: set[int]) -> float:
    """utime + stime of ``roots`` and every live descendant, in seconds."""
    stats = process_stats()
    members = tree_members(roots, {pid: int(fields[1]) for pid, fields in stats.items()})
    return sum(int(stats[pid][11]) + int(stats[pid][12]) for pid in members) / TICKS


def _machine_busy_seconds() -> float:
    """All CPUs' non-idle time since boot (user, nice, system, irq, softirq, steal)."""
    first = (PROC / "stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


class CpuMeter:
    """CPU seconds used by each named process tree (and by everything else) between ``start``
    and ``stop``."""

    def __init__(self, roots: Mapping[str, int | None]) -> None:
        self._roots = {name: pid for name, pid in roots.items() if pid is not None}
        self._before: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        sample = {name: _tree_seconds({pid}) for name, pid in self._roots.items()}
        sample["machine"] = _machine_busy_seconds()
        return sample

    def start(self) -> None:
        self._before = self._sample()

    def stop(self) -> dict[str, float]:
        """Seconds per tree, plus ``other``: the machine's busy time the trees do not explain."""
        after = self._sample()
        used = {name: max(0.0, after[name] - self._before[name]) for name in after}
        machine = used.pop("machine")
        used["other"] = max(0.0, machine - sum(used.values()))
        return used


def per_request_ms(used: Mapping[str, float], requests: int) -> dict[str, float]:
    """CPU milliseconds per request by tree (empty when nothing was answered)."""
    if requests <= 0:
        return {}
    return {name: round(seconds * 1000 / requests, 3) for name, seconds in used.items()}
