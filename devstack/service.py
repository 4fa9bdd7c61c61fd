"""Shared lifecycle for a locally spawned JVM service (start/stop/restart/close)."""

from __future__ import annotations

import abc
import atexit
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

from devstack.java import find_java
from devstack.spawn import spawn

logger = logging.getLogger(__name__)

_LIVE: set[JavaService] = set()  # strong refs: atexit must reach unclosed services
TAIL_LINES = 40
_OWNER_FILE = "owner.pid"


#: JVM flags for a small, short-lived dev/test service: starts fast, runs slower.
QUICK_START_JVM_FLAGS = (
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)
#: JVM flags for measuring (benchmarks): the JIT's optimizing tier and G1 with short pauses,
#: as a production broker runs.
THROUGHPUT_JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:-UsePerfData",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)


class ServiceStartError(RuntimeError):
    """A local service failed to start or become ready in time."""


class JavaService(abc.ABC):
    """A JVM child process with a private work dir, log file and readiness probe.

    ``start()`` prepares the work dir on first use and launches the JVM; ``stop()``
    shuts it down but keeps the work dir, so a later ``start()`` restarts the same
    service (same ports, same data); ``close()`` stops and deletes the work dir.
    Set ``DOCINK_KEEP_WORKDIR=1`` to keep work dirs (and logs) after ``close()``.
    """

    name: ClassVar[str]
    min_java: ClassVar[int]

    def __init__(
        self,
        *,
        heap: str = "512m",
        java: Path | None = None,
        workdir_parent: Path | None = None,
        jvm_flags: Sequence[str] = QUICK_START_JVM_FLAGS,
    ) -> None:
        self.heap = heap
        self.jvm_flags = tuple(jvm_flags)
        self._java = java
        self._workdir_parent = workdir_parent
        self._workdir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # -- hooks for subclasses -------------------------------------------------

    @abc.abstractmethod
    def _prepare(self) -> None:
        """Pick ports and write config into the fresh work dir (first start only)."""

    @abc.abstractmethod
    def _command(self) -> list[str]:
        """Return the full command line that launches the service."""

    @abc.abstractmethod
    def _is_ready(self) -> bool:
        """Return True once the service answers real requests."""

    # -- public API -----------------------------------------------------------

    @property
    def java(self) -> Path:
        """The ``java`` binary used for this service."""
        if self._java is None:
            self._java = find_java(self.min_java)
        return self._java

    @property
    def workdir(self) -> Path:
        """The private work dir (exists from the first ``start()`` until ``close()``)."""
        if self._workdir is None:
            raise RuntimeError(f"{self.name} has not been started")
        return self._workdir

    @property
    def log_path(self) -> Path:
        """File receiving the JVM's stdout and stderr."""
        return self.workdir / f"{self.name}.log"

    @property
    def running(self) -> bool:
        """True while the JVM process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """PID of the running JVM, if any."""
        return self._proc.pid if self.running and self._proc else None

    def start(self, timeout: float = 90.0) -> Self:
        """Start (or restart) the service and wait until it is ready."""
        if self.running:
            return self
        first_start = self._workdir is None
        started = time.monotonic()
        try:
            if first_start:
                _sweep_orphans(self.name, self._workdir_parent)
                self._workdir = Path(
                    tempfile.mkdtemp(prefix=f"docink-{self.name}-", dir=self._workdir_parent)
                )
                (self._workdir / "tmp").mkdir()
                (self._workdir / _OWNER_FILE).write_text(f"{os.getpid()}\n")
                _LIVE.add(self)
                self._prepare()
            self._launch()
            self._wait_ready(started + timeout, timeout)
        except BaseException:
            self._kill_process()
            if first_start:
                self.close()
            raise
        logger.info("%s ready in %.1f s", self.name, time.monotonic() - started)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM the JVM, wait up to ``timeout`` for a clean exit, then SIGKILL."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            logger.info("stopping %s (pid %s)", self.name, proc.pid)
            _signal_group(proc, signal.SIGTERM)
            try:
                code = proc.wait(timeout)
                logger.info("%s exited with code %s", self.name, code)
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop in %.0f s; killing it", self.name, timeout)
                self._kill_process()
        self._reap()

    def kill(self) -> None:
        """SIGKILL the JVM immediately (simulates a crash); data stays for a restart."""
        self._kill_process()

    def close(self) -> None:
        """Stop the service and delete its work dir."""
        self.stop()
        _LIVE.discard(self)
        workdir, self._workdir = self._workdir, None
        if workdir is None:
            return
        if os.environ.get("DOCINK_KEEP_WORKDIR"):
            (workdir / _OWNER_FILE).unlink(missing_ok=True)  # exempt from orphan sweeps
            logger.info("keeping %s work dir %s", self.name, workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    def log_tail(self, lines: int = TAIL_LINES) -> str:
        """Return the last ``lines`` lines of the JVM log."""
        if self._workdir is None or not self.log_path.exists():
            return "(no log)"
        with open(self.log_path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals ------------------------------------------------------------

    def _java_base(self) -> list[str]:
        return [
            str(self.java),
            f"-Xmx{self.heap}",
            *self.jvm_flags,
            f"-Djava.io.tmpdir={self.workdir / 'tmp'}",
        ]

    def _launch(self) -> None:
        cmd = self._command()
        logger.debug("launching %s: %s", self.name, cmd)
        # The child keeps its own copy of the log fd; the parent's is closed right away.
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== devstack: {' '.join(cmd)}\n".encode())
            log.flush()
            self._proc = spawn(cmd, cwd=self.workdir, output=log)

    def _wait_ready(self, deadline: float, timeout: float) -> None:
        while True:
            proc = self._proc
            assert proc is not None
            code = proc.poll()
            if code is not None:
                raise ServiceStartError(
                    f"{self.name} exited with code {code} during startup; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            if self._is_ready():
                return
            if time.monotonic() >= deadline:
                raise ServiceStartError(
                    f"{self.name} not ready after {timeout:.0f} s; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.2)

    def _kill_process(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            _signal_group(proc, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
        self._reap()

    def _reap(self) -> None:
        self._proc = None


def _sweep_orphans(name: str, parent: Path | None) -> None:
    """Delete work dirs left behind by devstack processes that died without cleanup."""
    root = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    for workdir in root.glob(f"docink-{name}-*"):
        try:
            owner = int((workdir / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # not ours, or still being created
        if owner != os.getpid() and not _pid_alive(owner):
            logger.info("removing orphaned %s work dir %s", name, workdir)
            shutil.rmtree(workdir, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Signal the child's process group (it is the session leader)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


@atexit.register
def _close_all() -> None:
    for service in list(_LIVE):
        try:
            service.stop(timeout=10)
            service.close()
        except Exception:  # best effort at interpreter exit
            logger.exception("failed to clean up %s", service.name)
