"""Spawn child processes that die with this Python process.

Each child gets its own session (so terminal signals and ``killpg`` address it alone)
and, on Linux, ``PR_SET_PDEATHSIG=SIGKILL``. That signal fires when the *thread* that
forked the child exits, so all forks happen on one daemon thread that lives as long as
the process; callers may be on any thread (e.g. a ThreadPoolExecutor worker).
"""

from __future__ import annotations

import ctypes
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None

_Job = tuple[Callable[[], "subprocess.Popen[bytes]"], "Future[subprocess.Popen[bytes]]"]
_jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
_thread_lock = threading.Lock()
_thread: threading.Thread | None = None


def spawn(
    cmd: Sequence[str],
    *,
    cwd: Path,
    output: IO[bytes],
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in a new session with stdout+stderr to ``output``, stdin closed, in
    ``env`` (this process's environment when None); it dies with this process."""

    def popen() -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603 - callers pass trusted command lines
            list(cmd),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=death_signal_preexec(os.getpid()),
        )

    future: Future[subprocess.Popen[bytes]] = Future()
    _jobs.put((popen, future))
    _ensure_thread()
    return future.result()


def _ensure_thread() -> None:
    global _thread
    with _thread_lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_serve, name="devstack-spawner", daemon=True)
            _thread.start()


def _serve() -> None:
    while True:
        popen, future = _jobs.get()
        if not future.set_running_or_notify_cancel():
            continue
        try:
            future.set_result(popen())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            future.set_exception(exc)


def death_signal_preexec(parent: int) -> Callable[[], None] | None:
    libc = _LIBC
    if libc is None:
        return None

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # parent died before prctl took effect
            os._exit(1)

    return preexec
