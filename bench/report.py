"""The table a run prints, and the targets it checks, from the figures measured in that run."""

from __future__ import annotations

import math
from typing import Any

from bench.ceiling import WAIT_SECONDS
from bench.profile import render as render_profile

RATIO_TARGET = 0.7
P99_RATE = 1000.0
P99_TARGET_MS = 25.0
RATE_ACHIEVED_FRACTION = 0.95
WORKER_TARGET = 10_000.0
WORKER_RATIO_TARGET = 0.2
E2E_RATE = 500.0
E2E_P99_TARGET_MS = 1000.0
E2E_ROWS = {
    "alert": "  alert (bot installations)",
    "count": "  count key (device orders)",
    "enriched": "  enriched record (all)",
}
TARGETS = ("bridge", "ceiling", "waiting")  # HTTP targets, in the order the table shows them


def _n(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _verdict(met: bool | None) -> str:
    return {True: "MET", False: "MISSED", None: "not measured"}[met]


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue with the measured value and whether it was met."""
    found: list[dict[str, Any]] = []
    closed = results.get("http_closed_loop")
    if closed:
        ratio = closed["summary"]["peak_ratio"]
        found.append(
            {
                "target": f"bridge / ceiling peak 2xx/s >= {RATIO_TARGET}",
                "value": round(ratio, 3),
                "met": ratio >= RATIO_TARGET,
            }
        )
    fixed = results.get("http_fixed_rate")
    row = None
    if fixed:
        row = next((r for r in fixed["summary"]["by_rate"] if r["rate"] == P99_RATE), None)
    if row:
        bridge = row["bridge"]
        reached = bridge["achieved_rate"] >= RATE_ACHIEVED_FRACTION * P99_RATE
        clean = bridge["non2xx"] == 0 and bridge["errors"] == 0 and bridge["unanswered"] == 0
        found.append(
            {
                "target": f"bridge p99 <= {P99_TARGET_MS:g} ms at {P99_RATE:,.0f} req/s",
                "value": round(bridge["p99_ms"], 2),
                "achieved_rate": bridge["achieved_rate"],
                "met": bridge["p99_ms"] <= P99_TARGET_MS and reached and clean,
            }
        )
    else:
        found.append({"target": f"bridge p99 at {P99_RATE:,.0f} req/s", "met": None})
    stream = results.get("stream")
    if stream:
        summary = stream["summary"]
        ok = summary["all_complete"] and summary["counts_match"]
        found.append(
            {
                "target": f"worker >= {WORKER_TARGET:,.0f} events/s",
                "value": round(summary["worker_events_per_second"], 1),
                "met": ok and summary["worker_events_per_second"] >= WORKER_TARGET,
            }
        )
        found.append(
            {
                "target": f"worker / raw consumer ceiling >= {WORKER_RATIO_TARGET}",
                "value": round(summary["ratio"], 4),
                "met": ok and summary["ratio"] >= WORKER_RATIO_TARGET,
            }
        )
    e2e = results.get("e2e")
    if e2e:
        s = e2e["summary"]
        complete = s["not_accepted"] == 0 and s["missing"] == 0
        found.append(
            {
                "target": f"POST->alert/count p99 < {E2E_P99_TARGET_MS:,.0f} ms at {E2E_RATE:g}/s",
                "value": round(s["p99_ms"], 1),
                "met": complete and s["rate"] >= E2E_RATE and s["p99_ms"] < E2E_P99_TARGET_MS,
            }
        )
    return found


def _statuses(rows: list[dict[str, Any]], key: str, before: str, after: str = "") -> list[str]:
    """A line naming the non-2xx answers by status, where there were any (all rounds)."""
    seen = [
        f"{name} {before}{row[key]:g}{after}: "
        + ", ".join(f"{n} x {status}" for status, n in sorted(codes.items()))
        for row in rows
        for name in TARGETS
        if name in row and (codes := row[name].get("non2xx_by_status"))
    ]
    return ["  non-2xx answers (all rounds): " + "; ".join(seen)] if seen else []


def _cpu_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Where each answer's CPU went (ms per answer, by process tree), of each target."""
    lines = []
    for row in rows:
        for name in TARGETS:
            cpu = row.get(name, {}).get("cpu_ms_per_answer")
            if cpu:
                parts = "  ".join(f"{tree} {ms:.3f}" for tree, ms in cpu.items())
                total = sum(cpu.values())
                lines.append(f"  c={row['connections']:<4} {name:8} {total:.3f} = {parts}")
    return ["  CPU ms per answer (2 CPUs give 2,000 ms per second):", *lines] if lines else []


def _memory_lines(results: dict[str, Any]) -> list[str]:
    """Peak RSS by phase and process tree: its main process, each child, the tree."""
    ran = results["plan"]["only"].split(",")
    by_phase = {
        "+".join(p for p in ("http", "rates") if p in ran): results.get("http_memory"),
        "stream": (results.get("stream") or {}).get("summary", {}).get("memory"),
        "e2e": (results.get("e2e") or {}).get("memory"),
    }
    rows = [
        (phase, name, peaks)
        for phase, trees in by_phase.items()
        for name, peaks in (trees or {}).items()
    ]
    if not rows:
        return []
    out = [
        "",
        "5. Peak memory: RSS in MiB, sampled every 0.2 s (a process's own high-water mark, "
        "VmHWM, if higher)",
        f"{'phase':<10} | {'tree':<7} | {'main':>6} | {'each child (granian workers)':<28} | "
        f"{'tree':>6}",
    ]
    for phase, name, peaks in rows:
        children = "  ".join(f"{mib:.1f}" for mib in peaks["children_mib"]) or "-"
        runs = peaks.get("runs", 1)
        out.append(
            f"{phase:<10} | {name:<7} | {peaks['root_mib']:>6.1f} | {children:<28} | "
            f"{peaks['tree_mib']:>6.1f}" + (f"  (largest of {runs} rounds)" if runs > 1 else "")
        )
    out.append(
        "  main: granian's main process, or the stream worker (python -m streams); tree: the "
        "largest sum of one sample (forked processes' shared pages counted in each)"
    )
    return out


def _floor_cell(floor: dict[str, Any], variant: str) -> str:
    run = floor[variant]
    return _n(run["events_per_second"]) if run["complete"] else "NO"


def _stream_lines(stream: dict[str, Any]) -> list[str]:
    """Benchmark 3: the worker between the Faust floor and the raw consumer's ceiling."""
    s = stream["summary"]
    out = [
        "",
        f"3. Stream throughput: {s['records']:,} device orders pre-loaded, {s['programs']} "
        f"programs, 1 worker, {s['rounds']} round(s)",
        "  ev/s from the first record handled to the last, start-up excluded (worker: its first "
        "output to its last count; Faust floor: its agent's first record to the N-th; raw: its "
        "first record to the N-th)",
        "  Faust floor: the worker's Faust app, one agent that only decodes and counts, the "
        "records one at a time (each) or in batches (batch); w/floor, floor/raw: the faster",
        f"{'round':>5} | {'worker ev/s':>11} {'from launch':>11} {'ev/cpu-s':>9} | "
        f"{'floor each':>10} {'batch':>7} | {'raw ev/s':>9} | {'w/raw':>6} {'w/floor':>7} "
        f"{'fl/raw':>6} | counts",
    ]
    for i, r in enumerate(stream["rounds"], 1):
        w, floor = r["worker"], r["faust_floor"]
        counted = "complete" if w["counts_match"] else f"NO ({w['counted_all_time']})"
        out.append(
            f"{i:>5} | {_n(w['events_per_second']):>11} "
            f"{_n(w['events_per_second_from_launch']):>11} "
            f"{_n(w['events_per_worker_cpu_s']):>9} | "
            f"{_floor_cell(floor, 'each'):>10} {_floor_cell(floor, 'batch'):>7} | "
            f"{_n(r['raw']['events_per_second']):>9} | {r['ratio']:>6.3f} "
            f"{r['ratio_faust_floor']:>7.3f} {r['ratio_faust_floor_to_raw']:>6.3f} | {counted}"
        )
    out.append(
        f"{'med':>5} | {_n(s['worker_events_per_second']):>11} "
        f"{_n(s['worker_events_per_second_from_launch']):>11} "
        f"{_n(s['events_per_worker_cpu_s']):>9} | "
        f"{_n(s['faust_floor_each_events_per_second']):>10} "
        f"{_n(s['faust_floor_batch_events_per_second']):>7} | "
        f"{_n(s['raw_events_per_second']):>9} | {s['ratio']:>6.3f} "
        f"{s['ratio_faust_floor']:>7.3f} {s['ratio_faust_floor_to_raw']:>6.3f} |"
    )
    worker_cpu = s["events_per_worker_cpu_s"]
    out.append(
        f"  CPU us per record (med): Faust floor each "
        f"{_n(s['faust_floor_each_cpu_us_per_event'])}, batch "
        f"{_n(s['faust_floor_batch_cpu_us_per_event'])} (first record to the N-th); worker "
        f"{_n(1e6 / worker_cpu if worker_cpu else None)} (from launch)"
    )
    shares = [
        f"{name} {_n(s[f'{key}_cpu_share'] * 100)}% / {_n(s[f'{key}_runqueue_wait_s'], 1)} s"
        for name, key in (
            ("Faust floor each", "faust_floor_each"),
            ("batch", "faust_floor_batch"),
            ("worker", "worker"),
        )
    ]
    out.append(
        "  share of one CPU used / seconds runnable but waiting for a CPU (med): "
        f"{', '.join(shares[:2])} (first record to the N-th); {shares[2]} (launch to done)"
    )
    return out


def table(results: dict[str, Any]) -> str:
    meta, plan = results["meta"], results["plan"]
    out = [
        f"DocInk benchmarks {meta['started_at']}  {meta['cpus']} CPUs  "
        f"load avg {meta['loadavg_start']} -> {meta['loadavg_end']}",
        f"server model: {meta['server_model']}; medians over rounds; all figures from this run",
    ]
    closed = results.get("http_closed_loop")
    if closed:
        out += [
            "",
            f"1. Bridge throughput: wrk closed loop, {plan['duration']:g}s per point, "
            f"{plan['rounds']} rounds, only 2xx counted (ceiling: hello-world Flask, same server; "
            f"waiting: the ceiling, then a {WAIT_SECONDS * 1000:g} ms wait for another thread, "
            f"as the bridge waits for Kafka)",
            f"{'conns':>5} | {'bridge 2xx/s':>12} {'p50 ms':>7} {'p99 ms':>7} | "
            f"{'ceiling 2xx/s':>13} {'p50 ms':>7} {'p99 ms':>7} | {'ratio':>5} | "
            f"{'waiting 2xx/s':>13} {'b/w':>5} | {'non-2xx':>7} {'sock err':>8}",
        ]
        for row in closed["summary"]["by_connections"]:
            b, c = row["bridge"], row["ceiling"]
            w = row.get("waiting", {})
            targets = [row[name] for name in TARGETS if name in row]
            out.append(
                f"{row['connections']:>5} | {_n(b['ok_per_second']):>12} {_n(b['p50_ms'], 2):>7} "
                f"{_n(b['p99_ms'], 2):>7} | {_n(c['ok_per_second']):>13} "
                f"{_n(c['p50_ms'], 2):>7} {_n(c['p99_ms'], 2):>7} | {row['ratio']:>5.2f} | "
                f"{_n(w.get('ok_per_second')):>13} {_n(row.get('bridge_to_waiting'), 2):>5} | "
                f"{sum(t['non2xx'] for t in targets):>7} "
                f"{sum(t['socket_errors'] for t in targets):>8}"
            )
        s = closed["summary"]
        out.append(
            f" peak | {_n(s['bridge_peak_ok_per_second']):>12} {'':>15} | "
            f"{_n(s['ceiling_peak_ok_per_second']):>13} {'':>15} | {s['peak_ratio']:>5.2f} | "
            f"{_n(s.get('waiting_peak_ok_per_second')):>13} "
            f"{_n(s.get('bridge_to_waiting_peak_ratio'), 2):>5} |"
        )
        if "waiting_to_ceiling_peak_ratio" in s:
            out.append(
                f"  waiting / ceiling peak {s['waiting_to_ceiling_peak_ratio']:.2f}: what waiting "
                f"for a report from another thread costs the server model, with no work of the "
                f"bridge's"
            )
        out += _statuses(closed["summary"]["by_connections"], "connections", "c=")
        out += _cpu_lines(closed["summary"]["by_connections"])
    fixed = results.get("http_fixed_rate")
    if fixed:
        out += [
            "",
            f"2. Latency at fixed rates: open loop (from each request's due time), "
            f"{plan['rate_duration']:g}s per point, {plan['rate_connections']} connections max",
            f"{'rate/s':>6} | {'bridge got/s':>12} {'p50 ms':>7} {'p99 ms':>7} {'p99.9 ms':>8} | "
            f"{'ceiling got/s':>13} {'p50 ms':>7} {'p99 ms':>7} {'p99.9 ms':>8} | "
            f"{'non-2xx/err/lost':>16}",
        ]
        for row in fixed["summary"]["by_rate"]:
            b, c = row["bridge"], row["ceiling"]
            bad = f"{b['non2xx']}/{b['errors']}/{b['unanswered']}"
            out.append(
                f"{row['rate']:>6,.0f} | {_n(b['achieved_rate']):>12} {_n(b['p50_ms'], 2):>7} "
                f"{_n(b['p99_ms'], 2):>7} {_n(b['p999_ms'], 2):>8} | "
                f"{_n(c['achieved_rate']):>13} {_n(c['p50_ms'], 2):>7} {_n(c['p99_ms'], 2):>7} "
                f"{_n(c['p999_ms'], 2):>8} | {bad:>16}"
            )
        out += _statuses(fixed["summary"]["by_rate"], "rate", "", "/s")
    stream = results.get("stream")
    if stream:
        out += _stream_lines(stream)
    e2e = results.get("e2e")
    if e2e:
        s = e2e["summary"]
        out += [
            "",
            f"4. End-to-end: POST (open loop, from its due time) -> what it becomes downstream, "
            f"{s['samples']} webhooks at {s['rate']:g}/s (achieved {_n(s['achieved_rate'])}/s); "
            f"each device order has a program of its own, no bot installation a token",
            f"{'record':<34} | {'arrived':>7} {'missing':>7} | {'p50 ms':>7} {'p99 ms':>8} "
            f"{'max ms':>8}",
        ]
        rows = [("alert or count (the target)", s)]
        rows += [(E2E_ROWS[kind], row) for kind, row in s.get("by_topic", {}).items()]
        for label, row in rows:
            out.append(
                f"{label:<34} | {row['arrived']:>7} {row['missing']:>7} | "
                f"{_n(row['p50_ms'], 1):>7} {_n(row['p99_ms'], 1):>8} {_n(row['max_ms'], 1):>8}"
            )
        out.append(
            f"POST->202 p50 {_n(s['post_to_202_p50_ms'], 1)} ms, "
            f"p99 {_n(s['post_to_202_p99_ms'], 1)} ms; not accepted {s['not_accepted']}"
        )
    out += _memory_lines(results)
    profiled = [
        ("bridge (granian workers, wrk at top concurrency)", closed and closed.get("profiled_run")),
        ("stream worker", stream and (stream.get("profiled_round") or {}).get("worker")),
    ]
    for name, run in profiled:
        if run and run.get("profile"):
            out += ["", *render_profile(name, run["profile"])]
    out += ["", "Targets"]
    for t in results["targets"]:
        value = t.get("value")
        out.append(f"  {t['target']:<44} {_n(value, 3) if value is not None else '':>12}  "
                   f"{_verdict(t['met'])}")  # fmt: skip
    return "\n".join(out)
