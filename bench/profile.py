"""Optional sampling profiles (``--profile``) with py-spy: where a process spends its GIL time.

py-spy samples only the thread holding the GIL (``--gil``), without pausing the process
(``--nonblocking``); a profiled run is slower than an unprofiled one, so its figures are marked
and the profile is taken on a run of its own where it can be.
"""

from __future__ import annotations

import re
import shutil
import signal
import sys
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.procs import Child, spawn

RATE = 100
_LINE = re.compile(r":\d+\)$")


def py_spy() -> str | None:
    """py-spy beside this Python (the venv's bin), else on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def available() -> bool:
    return py_spy() is not None


class Profile:
    """A py-spy recording of ``pid`` (and its children) until ``finish``."""

    def __init__(
        self, stack: ExitStack, pid: int, out: Path, log_dir: Path, subprocesses: bool = False
    ) -> None:
        self.out = out
        self.started = time.monotonic()
        args = [
            py_spy() or "py-spy", "record", "--pid", str(pid), "--format", "raw",
            "--output", str(out), "--rate", str(RATE), "--nonblocking", "--gil",
        ]  # fmt: skip
        if subprocesses:
            args.append("--subprocesses")
        self._child: Child = spawn(stack, f"py-spy-{out.stem}", args, {}, log_dir)

    def finish(self, top: int = 15) -> dict[str, Any]:
        """Stop sampling and summarize: the busiest functions, self and inclusive."""
        seconds = time.monotonic() - self.started
        self._child.process.send_signal(signal.SIGINT)
        try:
            self._child.process.wait(30)
        finally:
            self._child.stop()
        return summarize(self.out, seconds, top)


def _frames(stack: str) -> list[str]:
    return [_LINE.sub(")", frame) for frame in stack.split(";") if frame]


def summarize(path: Path, seconds: float, top: int = 15) -> dict[str, Any]:
    """Self and inclusive shares of the GIL-holding samples, per function."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {"error": f"no profile written to {path}"}
    for line in lines:
        stack, _, count = line.rpartition(" ")
        frames = [f for f in _frames(stack) if not f.startswith("process ")]
        if not frames or not count.isdigit():
            continue
        n = int(count)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n

    def share(counter: Counter[str]) -> list[dict[str, Any]]:
        return [
            {"function": name, "share": round(n / total, 4)} for name, n in counter.most_common(top)
        ]

    return {
        "file": str(path),
        "samples": total,
        "seconds": round(seconds, 1),
        "gil_busy_fraction": round(total / (RATE * seconds), 3) if seconds else None,
        "self": share(own) if total else [],
        "inclusive": share(inclusive) if total else [],
    }


def render(name: str, summary: dict[str, Any], top: int = 12) -> list[str]:
    if "error" in summary:
        return [f"profile {name}: {summary['error']}"]
    lines = [
        f"profile {name}: {summary['samples']} GIL samples over {summary['seconds']}s "
        f"(GIL busy ~{summary['gil_busy_fraction']:.0%} of one core, summed over processes); "
        f"raw stacks: {summary['file']}",
        "  self%  function (file)",
    ]
    lines += [f"  {row['share']:5.1%}  {row['function']}" for row in summary["self"][:top]]
    return lines
