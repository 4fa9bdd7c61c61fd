"""``python -m bench``: size a deployment. Starts a local Kafka and registry (as the tests do), the
bridge, a hello-world ceiling and stream workers on loopback; runs the benchmarks; prints a table
and writes it as JSON to ``bench/results/``. Everything it starts is stopped, Ctrl-C included."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import e2e, http, memory, profile, report, stream
from bench.bodies import Mix
from bench.stack import ServerModel, Stack
from bench.wrk import wrk_binary
from bridge.logs import configure_logging

PHASES = ("http", "rates", "stream", "e2e")
RESULTS = Path(__file__).with_name("results")


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",") if part)


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--only", default=",".join(PHASES), help=f"phases to run, of {PHASES}")
    p.add_argument("--rounds", type=int, default=3, help="rounds of the HTTP benchmarks")
    p.add_argument("--duration", type=float, default=8, help="seconds per wrk point")
    p.add_argument("--concurrencies", type=_ints, default=(8, 32, 128), help="wrk connections")
    p.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (it shares the CPUs)")
    p.add_argument("--rates", type=_floats, default=(200, 1000, 2000), help="fixed rates, req/s")
    p.add_argument("--rate-duration", type=float, default=8, help="seconds per fixed rate")
    p.add_argument("--rate-connections", type=int, default=64, help="open-loop connection cap")
    p.add_argument(
        "--stream-records",
        type=int,
        default=200_000,
        help="device orders pre-loaded per round (the issue's size; ~90 s a round here)",
    )
    p.add_argument("--stream-programs", type=int, default=300)
    p.add_argument("--stream-rounds", type=int, default=3)
    p.add_argument("--stream-timeout", type=float, default=600, help="seconds per worker run")
    p.add_argument("--e2e-samples", type=int, default=10_000, help="webhooks (20 s at 500/s)")
    p.add_argument("--e2e-rate", type=float, default=500, help="webhooks per second")
    p.add_argument(
        "--bot-installations-per-10",
        type=int,
        default=1,
        help="bot-installation bodies in every 10 (the rest: device orders)",
    )
    p.add_argument("--partitions", type=int, default=6, help="partitions of every topic")
    p.add_argument("--workers", type=int, default=ServerModel.workers, help="granian workers")
    p.add_argument("--threads", type=int, default=ServerModel.threads, help="per worker")
    p.add_argument("--log-level", default="INFO", help="DOCINK_LOG_LEVEL of bridge and workers")
    p.add_argument("--results-dir", type=Path, default=RESULTS)
    p.add_argument(
        "--profile",
        action="store_true",
        help="also profile the bridge and a worker with py-spy, in extra runs (not in medians)",
    )
    p.add_argument("--keep-logs", action="store_true", help="keep child logs after a success")
    args = p.parse_args(argv)
    unknown = set(args.only.split(",")) - set(PHASES)
    if unknown:
        p.error(f"unknown phases {sorted(unknown)}; choose from {PHASES}")
    return args


def _raise_on_sigterm(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def _meta(model: ServerModel) -> dict[str, Any]:
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "server_model": model.describe(),
        "versions": {
            name: version(name)
            for name in ("granian", "flask", "confluent-kafka", "faust-streaming", "aiokafka")
        },
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging("WARNING")
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    phases = set(args.only.split(","))
    if phases & {"http"}:
        wrk_binary()
    profile_dir = args.results_dir / "profiles" if args.profile else None
    if profile_dir:
        if not profile.available():
            raise SystemExit("--profile needs py-spy (pip install -e '.[bench]')")
        profile_dir.mkdir(parents=True, exist_ok=True)
    model = ServerModel(args.workers, args.threads)
    mix = Mix.webhooks(args.bot_installations_per_10)
    numbers = http.Numbers()
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.0f}s] {message}", flush=True)

    results: dict[str, Any] = {"meta": _meta(model), "plan": {
        **{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "body_mix": f"{10 - args.bot_installations_per_10} device-order-created : "
                    f"{args.bot_installations_per_10} bot-installation, each body unique",
    }}  # fmt: skip
    log_dir = Path(tempfile.mkdtemp(prefix="docink-bench-logs-"))
    progress(f"child process logs in {log_dir}")
    with ExitStack() as exits:
        progress("starting Kafka and the schema registry ...")
        stack = Stack(exits, log_dir, args.partitions, args.log_level).start()
        if phases & {"http", "rates"}:
            plan = http.HttpPlan(
                args.concurrencies, args.duration, args.rounds, args.wrk_threads, args.rates,
                args.rate_duration, args.rate_connections,
            )  # fmt: skip
            with stack.phase():
                settings = stack.provision(stack.settings("h"))
                bridge, bridge_port = stack.start_bridge(settings, model)
                ceiling, ceiling_port = stack.start_ceiling(model)
                waiting, waiting_port = stack.start_ceiling(
                    model, "waiting", "bench.ceiling:waiting_app"
                )
                ports = {"bridge": bridge_port, "ceiling": ceiling_port}
                cpu_roots = {
                    "bridge": {"bridge": bridge.process.pid, "kafka": stack.kafka.pid},
                    "ceiling": {"ceiling": ceiling.process.pid, "kafka": stack.kafka.pid},
                    "waiting": {"waiting": waiting.process.pid, "kafka": stack.kafka.pid},
                }

                def profile_bridge() -> Any:
                    assert profile_dir is not None
                    out = profile_dir / f"bridge-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.txt"
                    recording = profile.Profile(
                        stack.exits, bridge.process.pid, out, log_dir, subprocesses=True
                    )
                    return recording.finish

                progress(
                    f"bridge on :{bridge_port}, ceiling on :{ceiling_port}, "
                    f"waiting ceiling on :{waiting_port}"
                )
                templates = mix.write_templates(log_dir / "templates.txt")
                memory_roots = {"bridge": bridge.process.pid, "ceiling": ceiling.process.pid}
                with memory.MemoryMeter(memory_roots) as meter:
                    if "http" in phases:
                        results["http_closed_loop"] = http.closed_loop(
                            plan, {**ports, "waiting": waiting_port}, templates, stack.secret,
                            numbers, progress, profile_bridge if profile_dir else None, cpu_roots,
                        )  # fmt: skip
                    if "rates" in phases:
                        results["http_fixed_rate"] = http.fixed_rates(
                            plan, ports, mix, stack.secret, numbers, progress
                        )
                results["http_memory"] = meter.report()
        if "stream" in phases:
            with stack.phase():
                results["stream"] = stream.run(
                    stack,
                    stream.StreamPlan(
                        args.stream_records, args.stream_programs, args.stream_rounds,
                        args.stream_timeout, profile_dir,
                    ),
                    progress,
                )  # fmt: skip
        if "e2e" in phases:
            with stack.phase():
                traced = Mix.traced(args.bot_installations_per_10)
                results["e2e"] = e2e.run(
                    stack, model, traced, numbers, args.e2e_samples, args.e2e_rate, progress
                )
        progress("stopping ...")
    results["meta"]["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results["meta"]["seconds"] = round(time.monotonic() - started, 1)
    results["targets"] = report.targets(results)
    text = report.table(results)
    results["table"] = text.splitlines()
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results_dir / f"bench-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(text)
    print(f"\nJSON: {path}  ({results['meta']['seconds']:.0f}s in all)", flush=True)
    if not args.keep_logs:  # after a failure they stay, for a look
        shutil.rmtree(log_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    logging.captureWarnings(True)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: everything this run started has been stopped", file=sys.stderr)
        sys.exit(130)
