"""Child processes the benchmark starts: each in its own process group, killed with this process
(``PR_SET_PDEATHSIG``) and stopped, group and all, when the run's ExitStack closes."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, suppress
from pathlib import Path

from devstack.spawn import spawn as devstack_spawn

logger = logging.getLogger(__name__)

STOP_TIMEOUT_SECONDS = 20
REPO = Path(__file__).resolve().parents[1]
# Loopback only: never through an HTTP(S)_PROXY.
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Child:
    """A started child process, its log file, and how to stop it."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.name = name
        self.process = process
        self.log = log
        self._stopped = False

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM the group, wait up to ``timeout``, then SIGKILL whatever of it is left."""
        if self._stopped:
            return
        self._stopped = True
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            logger.warning("%s (pid %d) did not stop in %ss; killing it", self.name,
                           self.process.pid, timeout)  # fmt: skip
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def spawn(
    stack: ExitStack, name: str, args: list[str], env: dict[str, str], log_dir: Path
) -> Child:
    """Start ``args`` in a new session, output to ``log_dir/<name>.log``; ``stack`` stops it."""
    log_path = log_dir / f"{name}.log"
    with open(log_path, "ab") as log:
        process = devstack_spawn(args, cwd=REPO, output=log, env=env)
    child = Child(name, process, log_path)
    stack.callback(child.stop)
    return child


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """GET ``url`` (loopback, no proxy): status and body; HTTP errors are returned, not raised."""
    try:
        with NO_PROXY.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_http(child: Child, url: str, timeout: float = 120.0) -> None:
    """Wait until ``url`` answers 200 while ``child`` lives; raise with its log tail if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive:
            raise RuntimeError(
                f"{child.name} exited with {child.process.returncode} during start-up; "
                f"log {child.log}:\n{child.log_tail()}"
            )
        try:
            if http_get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{child.name}: {url} not ready after {timeout:.0f}s; log {child.log}")
