"""The whole stack on this machine from real parts: Kafka, the registry, topics, schemas, the
bridge and a stream worker. Ctrl-C stops all of it."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from pathlib import Path

from bridge.codec import registry_client
from bridge.registration import register_schemas
from bridge.settings import Settings
from bridge.topics import admin_client, ensure_topics, topic_specs
from devstack.kafka import LocalKafka
from devstack.ports import port_open
from devstack.registry import LocalRegistry
from devstack.service import JavaService
from devstack.spawn import spawn

logger = logging.getLogger(__name__)

DEFAULT_BRIDGE_PORT = 8000
STOP_TIMEOUT_SECONDS = 20
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(Exception):
    """Ctrl-C or SIGTERM: unwinds the stack's ``with`` block, which stops everything."""


def _stop(signum: int, frame: object) -> None:
    # Raise rather than set a threading.Event: Event.set() in a handler can deadlock on the lock
    # that the interrupted Event.wait() holds. Later signals are ignored so cleanup completes.
    for each in STOP_SIGNALS:
        signal.signal(each, signal.SIG_IGN)
    raise Stopped


def run(bridge_port: int = DEFAULT_BRIDGE_PORT) -> int:
    """Start everything, print where it listens, and wait for Ctrl-C; returns an exit code."""
    if port_open(bridge_port):
        raise SystemExit(f"port {bridge_port} is taken; pass --port")
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop)
    try:
        return _run(bridge_port)
    except Stopped:
        return 0


def _run(bridge_port: int) -> int:
    with ExitStack() as stack:
        print("starting Kafka and the schema registry ...", flush=True)
        kafka, registry = LocalKafka(), LocalRegistry()
        start_together(stack, kafka, registry)
        env = {
            **os.environ,
            "DOCINK_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "DOCINK_SCHEMA_REGISTRY_URL": registry.url,
            "DOCINK_SHARED_SECRET": os.environ.get("DOCINK_SHARED_SECRET")
            or secrets.token_urlsafe(24),
            "DOCINK_STREAMS_DATA_DIR": str(kafka.workdir / "streams-data"),
        }
        settings = Settings.from_env(env)
        ensure_topics(admin_client(settings), topic_specs(settings))
        register_schemas(registry_client(settings), settings.topic_prefix)
        bridge = _spawn(
            stack,
            [sys.executable, "-m", "bridge", "serve", "--host", "127.0.0.1", "--port",
             str(bridge_port)],
            env,
        )  # fmt: skip
        worker = _spawn(stack, [sys.executable, "-m", "streams"], env)
        _wait_until_healthy(bridge, bridge_port)
        _wait_until_healthy(worker, settings.streams_web_port, "/metrics")
        _print_banner(kafka, registry, settings, bridge_port)
        stack.callback(print, "stopping ...", flush=True)  # runs first on the way out
        while True:
            time.sleep(0.5)
            for name, process in (("bridge", bridge), ("stream worker", worker)):
                if process.poll() is not None:
                    print(f"the {name} exited with {process.returncode}", flush=True)
                    return 1


def start_together(stack: ExitStack, *services: JavaService) -> None:
    """Start JVM services in parallel; ``stack`` closes them all, started or not."""
    for service in services:
        stack.callback(service.close)
    with ThreadPoolExecutor(len(services)) as pool:
        for started in [pool.submit(service.start) for service in services]:
            started.result()


def _spawn(stack: ExitStack, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A child in its own process group (stopping it stops the workers it forked) that dies
    with this process, its output on this terminal."""
    process = spawn(args, cwd=Path.cwd(), output=sys.stdout.buffer, env=env)
    stack.callback(_terminate, process)
    return process


def _terminate(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        logger.warning("pid %d did not stop in %ds; killing it", process.pid, STOP_TIMEOUT_SECONDS)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever of its group is left
    process.wait()


def _wait_until_healthy(
    process: subprocess.Popen[bytes], port: int, path: str = "/healthz", timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing became healthy on port {port}{path}")


def _print_banner(
    kafka: LocalKafka, registry: LocalRegistry, settings: Settings, bridge_port: int
) -> None:
    url = f"http://127.0.0.1:{bridge_port}/webhooks/docink"
    print(
        "\n".join(
            [
                "",
                f"Kafka            {kafka.bootstrap_servers}",
                f"Schema Registry  {registry.url}",
                f"Bridge           http://127.0.0.1:{bridge_port}  (/healthz, /readyz)",
                f"Stream worker    http://127.0.0.1:{settings.streams_web_port}  "
                "(/metrics, /rpm-programs/<uuid>/device-orders)",
                f"Topics           {settings.topic_prefix}.<event-type>, "
                f"{settings.topic_prefix}.unknown, {settings.topic_prefix}.deadletter",
                "",
                "POST a webhook (this run's development secret is in the URL):",
                f"  curl -i -H 'Content-Type: application/json' "
                f"--data @event.json {url}/{settings.shared_secret}",
                "",
                "Ctrl-C stops everything.",
            ]
        ),
        flush=True,
    )
