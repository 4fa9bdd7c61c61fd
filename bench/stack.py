"""What the benchmarks run against: the tests' local Kafka and registry, a fresh topic prefix per
benchmark (topics and schemas made by the project's own functions), and the bridge, the ceiling
app and stream workers as child processes."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from bench.procs import Child, spawn, wait_http
from bridge.cli import DEFAULT_THREADS, DEFAULT_WORKERS
from bridge.codec import registry_client
from bridge.registration import register_schemas
from bridge.settings import Settings
from bridge.topics import admin_client, ensure_topics, topic_specs
from devstack import LocalKafka, LocalRegistry, free_port
from devstack.service import THROUGHPUT_JVM_FLAGS
from devstack.stack import start_together

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ServerModel:
    """How the bridge and the ceiling are served: granian WSGI, workers x blocking threads."""

    workers: int = DEFAULT_WORKERS
    threads: int = DEFAULT_THREADS

    def describe(self) -> str:
        return f"granian wsgi {self.workers} workers x {self.threads} blocking threads"


class Stack:
    """Kafka, the registry and the child processes of one benchmark run; ``close`` stops all."""

    def __init__(self, stack: ExitStack, log_dir: Path, partitions: int, log_level: str) -> None:
        self._stack = stack
        self.log_dir = log_dir
        self.partitions = partitions
        self.log_level = log_level
        self.secret = secrets.token_urlsafe(24)
        # A broker as in production (optimizing JIT, G1), not the tests' quick-start JVM.
        self.kafka = LocalKafka(heap="1g", jvm_flags=THROUGHPUT_JVM_FLAGS)
        self.registry = LocalRegistry()
        self.scratch = Path(tempfile.mkdtemp(prefix="docink-bench-"))
        stack.callback(shutil.rmtree, self.scratch, True)

    @contextmanager
    def phase(self) -> Iterator[None]:
        """Children started inside are stopped when the block ends (or fails)."""
        with ExitStack() as inner:
            outer, self._stack = self._stack, inner
            try:
                yield
            finally:
                self._stack = outer

    @property
    def exits(self) -> ExitStack:
        """Where to register what must be stopped with the current phase."""
        return self._stack

    def start(self) -> Stack:
        start_together(self._stack, self.kafka, self.registry)
        return self

    def settings(self, label: str) -> Settings:
        """Settings for a fresh topic prefix (so fresh topics, app id and consumer groups)."""
        return Settings(
            bootstrap_servers=self.kafka.bootstrap_servers,
            schema_registry_url=self.registry.url,
            shared_secret=self.secret,
            topic_prefix=f"bench{label}{uuid.uuid4().hex[:8]}",
            topic_partitions=self.partitions,
        )

    def provision(self, settings: Settings) -> Settings:
        """As ``docink topics create`` and ``docink schemas register`` do."""
        ensure_topics(admin_client(settings), topic_specs(settings))
        register_schemas(registry_client(settings), settings.topic_prefix)
        return settings

    def env(self, settings: Settings, **extra: str) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("DOCINK_")}
        return {
            **inherited,
            "DOCINK_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
            "DOCINK_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
            "DOCINK_SHARED_SECRET": self.secret,
            "DOCINK_TOPIC_PREFIX": settings.topic_prefix,
            "DOCINK_TOPIC_PARTITIONS": str(settings.topic_partitions),
            "DOCINK_LOG_LEVEL": self.log_level,
            **extra,
        }

    def start_bridge(
        self, settings: Settings, model: ServerModel, name: str = "bridge"
    ) -> tuple[Child, int]:
        """``docink serve`` on a free loopback port; returns it and the port once /healthz
        answers."""
        port = free_port()
        child = spawn(
            self._stack,
            name,
            [sys.executable, "-m", "bridge", "serve", "--host", LOOPBACK, "--port", str(port),
             "--workers", str(model.workers), "--threads", str(model.threads)],
            self.env(settings),
            self.log_dir,
        )  # fmt: skip
        wait_http(child, f"http://{LOOPBACK}:{port}/healthz")
        return child, port

    def start_ceiling(
        self, model: ServerModel, name: str = "ceiling", target: str = "bench.ceiling:app"
    ) -> tuple[Child, int]:
        """A ceiling app (``bench.ceiling``) under the same granian command line as
        ``docink serve``; returns it and the port once /healthz answers."""
        port = free_port()
        child = spawn(
            self._stack,
            name,
            [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", LOOPBACK,
             "--port", str(port), "--workers", str(model.workers),
             "--blocking-threads", str(model.threads), "--no-access-log", target],
            {**os.environ},
            self.log_dir,
        )  # fmt: skip
        wait_http(child, f"http://{LOOPBACK}:{port}/healthz")
        return child, port

    def start_worker(
        self, settings: Settings, name: str, module: Sequence[str] = ("streams",)
    ) -> tuple[Child, int]:
        """``python -m streams`` (or another Faust worker built on ``streams.app.faust_app``:
        ``module`` and its arguments) with its web server on a free port; returns it and the
        port once /metrics answers (the counts may still be recovering)."""
        port = free_port()
        data_dir = self.scratch / name
        streams_settings = replace(settings, streams_web_port=port)
        child = spawn(
            self._stack,
            name,
            [sys.executable, "-m", *module],
            self.env(
                streams_settings,
                DOCINK_STREAMS_WEB_HOST=LOOPBACK,
                DOCINK_STREAMS_WEB_PORT=str(port),
                DOCINK_STREAMS_DATA_DIR=str(data_dir),
            ),
            self.log_dir,
        )
        wait_http(child, f"http://{LOOPBACK}:{port}/metrics", timeout=180)
        return child, port
