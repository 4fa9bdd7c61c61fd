"""Closed-loop load with wrk and ``post.lua``: fixed time, fixed number of connections."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("post.lua")
MARKER = "BENCH_JSON "


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: only 2xx responses count towards ``ok_per_second``."""

    connections: int
    duration_s: float
    requests: int
    ok: int
    non2xx: int
    non2xx_by_status: dict[str, int]
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float

    @property
    def ok_per_second(self) -> float:
        return self.ok / self.duration_s if self.duration_s else 0.0

    def as_json(self) -> dict[str, float | int]:
        return {**self.__dict__, "ok_per_second": round(self.ok_per_second, 1)}


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed (apt-get install wrk); bench/run installs it")
    return found


def run_wrk(
    url: str,
    *,
    connections: int,
    duration: float,
    threads: int,
    templates: Path,
    secret: str,
    salt: int,
    timeout: float = 10.0,
) -> WrkResult:
    """Run wrk for ``duration`` seconds and return what ``post.lua`` reported."""
    args = [
        wrk_binary(),
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={max(1, round(duration))}s",
        f"--timeout={max(1, round(timeout))}s",
        "--latency",
        f"--script={SCRIPT}",
        url,
        "--",
        str(templates),
        secret,
        str(salt),
    ]
    completed = subprocess.run(  # noqa: S603 - our own command line
        args, capture_output=True, text=True, timeout=duration + timeout + 30, check=False
    )
    line = next((line for line in completed.stdout.splitlines() if line.startswith(MARKER)), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
        )
    data = json.loads(line[len(MARKER) :])
    errors = data["errors"]
    latency = data["latency_us"]
    return WrkResult(
        connections=connections,
        duration_s=data["duration_us"] / 1e6,
        requests=data["requests"],
        ok=data["ok"],
        non2xx=data["non2xx"],
        non2xx_by_status=data["by_status"],
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        p999_ms=latency["p999"] / 1000,
        max_ms=latency["max"] / 1000,
    )
