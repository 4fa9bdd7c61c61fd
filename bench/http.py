"""Benchmarks 1 and 2: the bridge against the hello-world ceiling, closed loop (wrk) and at fixed
arrival rates (``openloop``), interleaved round by round so that both see the same machine."""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

from bench.bodies import Mix
from bench.cpu import CpuMeter, per_request_ms
from bench.openloop import http_request, run_fixed_rate
from bench.wrk import run_wrk

logger = logging.getLogger(__name__)

PATH = "/webhooks/docink"
HOST = "127.0.0.1"
WARMUP_SECONDS = 3
WARMUP_CONNECTIONS = 16


@dataclass(frozen=True)
class HttpPlan:
    concurrencies: tuple[int, ...]
    duration: float
    rounds: int
    wrk_threads: int
    rates: tuple[float, ...]
    rate_duration: float
    rate_connections: int


class Numbers:
    """Unique numbers for the bodies' ``@N@``, never reused within a run."""

    def __init__(self) -> None:
        self._base = random.randrange(10**12)  # noqa: S311 - not a secret
        self._runs = itertools.count()
        self._next = self._base + 10**13

    def wrk_salt(self) -> int:  # wrk threads add thread_index * 50M to it
        return self._base + next(self._runs) * 10**9

    def take(self, count: int) -> range:
        start, self._next = self._next, self._next + count
        return range(start, start + count)


def _alternating(round_index: int, ports: dict[str, int]) -> list[tuple[str, int]]:
    """Both targets in each round, the order swapped every round (no first-mover bias)."""
    order = sorted(ports.items())
    return order if round_index % 2 == 0 else order[::-1]


def closed_loop(
    plan: HttpPlan,
    ports: dict[str, int],
    templates: Path,
    secret: str,
    numbers: Numbers,
    progress: Callable[[str], None],
    profile: Callable[[], Callable[[], dict[str, Any]]] | None = None,
    cpu_roots: dict[str, dict[str, int | None]] | None = None,
) -> dict[str, Any]:
    """wrk at each concurrency, ``plan.rounds`` times, bridge and ceiling back to back.

    ``cpu_roots`` names, per target, the process trees whose CPU time each run measures
    (e.g. the bridge and Kafka): reported as CPU milliseconds per answer, with ``other`` for the
    rest of the machine (the load generator, the kernel, other processes).
    ``profile``, if given, starts a profile of the bridge and returns what stops it: then one
    more wrk run of the bridge, at the highest concurrency, is profiled (not in the medians)."""
    url = {name: f"http://{HOST}:{port}{PATH}" for name, port in ports.items()}

    def wrk(name: str, connections: int, duration: float) -> Any:
        return run_wrk(
            url[name], connections=connections, duration=duration, threads=plan.wrk_threads,
            templates=templates, secret=secret, salt=numbers.wrk_salt(),
        )  # fmt: skip

    def measured(name: str, connections: int) -> tuple[Any, dict[str, float]]:
        meter = CpuMeter((cpu_roots or {}).get(name, {}))
        meter.start()
        result = wrk(name, connections, plan.duration)
        return result, per_request_ms(meter.stop(), result.requests)

    for name in ports:
        warm = wrk(name, WARMUP_CONNECTIONS, WARMUP_SECONDS)
        progress(f"warm-up {name}: {warm.ok_per_second:,.0f} req/s, {warm.non2xx} non-2xx")
    rounds: list[dict[str, dict[int, dict[str, Any]]]] = []
    for r in range(plan.rounds):
        this_round: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in ports}
        for connections in plan.concurrencies:
            for name, _ in _alternating(r, ports):
                result, cpu_ms = measured(name, connections)
                this_round[name][connections] = {**result.as_json(), "cpu_ms_per_answer": cpu_ms}
                progress(
                    f"round {r + 1}/{plan.rounds} c={connections:<4} {name:8} "
                    f"{result.ok_per_second:8,.0f} 2xx/s  p50 {result.p50_ms:6.2f} ms  "
                    f"p99 {result.p99_ms:7.2f} ms  "
                    f"non-2xx {result.non2xx} {result.non2xx_by_status or ''}  "
                    f"socket errors {result.socket_errors}  CPU ms/answer {cpu_ms}"
                )
        rounds.append(this_round)
    profiled = None
    if profile is not None:
        connections = max(plan.concurrencies)
        progress(f"one more bridge run at c={connections}, profiled (not in the medians)")
        finish = profile()
        result = wrk("bridge", connections, plan.duration)
        profiled = {"wrk": result.as_json(), "profile": finish()}
    return {
        "rounds": rounds,
        "profiled_run": profiled,
        "summary": _closed_summary(plan, rounds),
    }


def _add_statuses(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for status, n in count.items():
            total[status] = total.get(status, 0) + n
    return total


def _ratios(runs: dict[str, list[dict[str, Any]]], numerator: str, denominator: str) -> list[float]:
    """Round by round, 2xx/s of ``numerator`` over ``denominator``'s."""
    return [
        a["ok_per_second"] / b["ok_per_second"] if b["ok_per_second"] else 0.0
        for a, b in zip(runs[numerator], runs[denominator], strict=True)
    ]


def _closed_summary(plan: HttpPlan, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians by concurrency, and the peak ratios: bridge / ceiling (the target) and, when the
    waiting ceiling ran, bridge / waiting and waiting / ceiling."""
    names = list(rounds[0])
    rows = []
    for c in plan.concurrencies:
        runs = {name: [rnd[name][c] for rnd in rounds] for name in names}
        row: dict[str, Any] = {"connections": c}
        for name, values in runs.items():
            row[name] = {
                "ok_per_second": median(v["ok_per_second"] for v in values),
                "p50_ms": median(v["p50_ms"] for v in values),
                "p99_ms": median(v["p99_ms"] for v in values),
                "non2xx": sum(v["non2xx"] for v in values),
                "non2xx_by_status": _add_statuses(v["non2xx_by_status"] for v in values),
                "socket_errors": sum(v["socket_errors"] for v in values),
                "cpu_ms_per_answer": {
                    tree: median(v["cpu_ms_per_answer"][tree] for v in values)
                    for tree in values[0]["cpu_ms_per_answer"]
                },
            }
        ratios = _ratios(runs, "bridge", "ceiling")
        row["ratio"] = median(ratios)
        row["ratio_per_round"] = ratios
        if "waiting" in runs:
            row["bridge_to_waiting"] = median(_ratios(runs, "bridge", "waiting"))
        rows.append(row)

    peaks = {
        name: [{"ok_per_second": max(v["ok_per_second"] for v in rnd[name].values())}
               for rnd in rounds]
        for name in names
    }  # fmt: skip
    peak_ratios = _ratios(peaks, "bridge", "ceiling")
    summary = {
        "by_connections": rows,
        **{
            f"{name}_peak_ok_per_second": median(p["ok_per_second"] for p in peaks[name])
            for name in names
        },
        "peak_ratio": median(peak_ratios),
        "peak_ratio_per_round": peak_ratios,
    }
    if "waiting" in peaks:
        summary["bridge_to_waiting_peak_ratio"] = median(_ratios(peaks, "bridge", "waiting"))
        summary["waiting_to_ceiling_peak_ratio"] = median(_ratios(peaks, "waiting", "ceiling"))
    return summary


def fixed_rates(
    plan: HttpPlan,
    ports: dict[str, int],
    mix: Mix,
    secret: str,
    numbers: Numbers,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Each rate for ``plan.rate_duration`` seconds, ``plan.rounds`` times, both targets."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"}
    rounds: list[dict[str, dict[str, Any]]] = []
    for r in range(plan.rounds):
        this_round: dict[str, dict[str, Any]] = {name: {} for name in ports}
        for rate in plan.rates:
            for name, port in _alternating(r, ports):
                count = max(1, round(rate * plan.rate_duration))
                requests = [
                    http_request(HOST, port, PATH, mix.render(n), headers)
                    for n in numbers.take(count)
                ]
                result = run_fixed_rate(HOST, port, requests, rate, plan.rate_connections)
                summary = result.summary()
                this_round[name][str(rate)] = summary
                progress(
                    f"round {r + 1}/{plan.rounds} {rate:6.0f}/s {name:8} achieved "
                    f"{summary['achieved_rate']:7.0f}/s  p50 {summary['p50_ms']:6.2f}  "
                    f"p99 {summary['p99_ms']:7.2f}  p99.9 {summary['p999_ms']:7.2f} ms  "
                    f"non-2xx {summary['non2xx']} {summary['non2xx_by_status'] or ''}  "
                    f"errors {summary['errors']}  "
                    f"unanswered {summary['unanswered']}"
                )
        rounds.append(this_round)
    rows = []
    for rate in plan.rates:
        row: dict[str, Any] = {"rate": rate}
        for name in ("bridge", "ceiling"):
            values = [rnd[name][str(rate)] for rnd in rounds]
            row[name] = {
                key: median(v[key] for v in values)
                for key in ("achieved_rate", "p50_ms", "p99_ms", "p999_ms", "max_ms")
            }
            for key in ("non2xx", "errors", "unanswered"):
                row[name][key] = sum(v[key] for v in values)
            row[name]["non2xx_by_status"] = _add_statuses(v["non2xx_by_status"] for v in values)
        rows.append(row)
    return {"rounds": rounds, "summary": {"by_rate": rows}}
