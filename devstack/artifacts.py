"""Fetch and cache the Kafka and Apicurio Registry artifacts from Maven Central.

The cache lives outside the repository (``$DOCINK_CACHE_DIR``, default
``~/.cache/docink-bridge``). Each artifact is built in a temporary sibling directory
and renamed into place under an exclusive file lock, so an interrupted run never leaves
a half-populated cache and concurrent processes do not clobber each other.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from devstack.spawn import spawn

logger = logging.getLogger(__name__)

DEVSTACK_DIR = Path(__file__).resolve().parent
POM = DEVSTACK_DIR / "pom.xml"
LOG4J2_CONFIG = DEVSTACK_DIR / "log4j2.properties"
_STAMP = ".pom-sha256"
_MVN_TIMEOUT = 1800.0


class ArtifactError(RuntimeError):
    """An artifact could not be fetched or unpacked."""


def cache_dir() -> Path:
    """Return the artifact cache root (``$DOCINK_CACHE_DIR`` or ``~/.cache/docink-bridge``)."""
    configured = os.environ.get("DOCINK_CACHE_DIR")
    root = Path(configured) if configured else Path.home() / ".cache" / "docink-bridge"
    return root.expanduser().resolve()


def pom_property(name: str) -> str:
    """Return a ``<properties>`` value from ``devstack/pom.xml``."""
    tag = re.escape(name)
    match = re.search(rf"<{tag}>\s*([^<\s]+)\s*</{tag}>", POM.read_text())
    if match is None:
        raise ArtifactError(f"property {name!r} missing in {POM}")
    return match.group(1)


def kafka_version() -> str:
    """Return the Kafka version pinned in ``devstack/pom.xml``."""
    return pom_property("kafka.version")


def apicurio_version() -> str:
    """Return the Apicurio Registry version pinned in ``devstack/pom.xml``."""
    return pom_property("apicurio.version")


def kafka_libs() -> Path:
    """Return a directory holding the Kafka broker classpath jars, fetching if needed."""
    version = kafka_version()
    pom_hash = hashlib.sha256(POM.read_bytes()).hexdigest()

    def valid(home: Path) -> bool:
        stamp = home / _STAMP
        return (
            (home / "libs" / f"kafka_2.13-{version}.jar").is_file()
            and stamp.is_file()
            and stamp.read_text().strip() == pom_hash
        )

    def populate(tmp: Path) -> None:
        _mvn(
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={tmp / 'libs'}",
            cwd=tmp,
        )
        (tmp / _STAMP).write_text(pom_hash + "\n")

    return _ensure(f"kafka-{version}", valid, populate) / "libs"


def registry_home() -> Path:
    """Return an unpacked Apicurio Registry app (holds ``quarkus-run.jar``), fetching if needed."""
    version = apicurio_version()
    coords = f"io.apicurio:apicurio-registry-app:{version}:tar.gz:all"

    def valid(home: Path) -> bool:
        return (home / "quarkus-run.jar").is_file() and (home / "lib").is_dir()

    def populate(tmp: Path) -> None:
        download = tmp / ".download"
        _mvn("dependency:copy", f"-Dartifact={coords}", f"-DoutputDirectory={download}", cwd=tmp)
        archives = sorted(download.glob("*.tar.gz"))
        if len(archives) != 1:
            raise ArtifactError(f"expected one tar.gz from {coords}, got {archives}")
        with tarfile.open(archives[0]) as tar:
            tar.extractall(tmp, filter="data")
        shutil.rmtree(download)
        if not valid(tmp):
            raise ArtifactError(f"{coords} did not unpack to a Quarkus app layout")

    return _ensure(f"apicurio-registry-{version}", valid, populate)


def _ensure(name: str, valid: Callable[[Path], bool], populate: Callable[[Path], None]) -> Path:
    root = cache_dir()
    final = root / name
    if valid(final):
        return final
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f".{name}.lock"):
        if valid(final):  # another process finished it while we waited
            return final
        _sweep(root, name)
        logger.info("fetching %s into %s", name, root)
        started = time.monotonic()
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=root))
        old = root / f".{name}.old-{os.getpid()}"
        try:
            populate(tmp)
            tmp.chmod(0o755)  # mkdtemp makes it 0700
            if final.exists():  # stale (e.g. pom changed): move aside, then swap in
                final.rename(old)
            tmp.rename(final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
        logger.info("fetched %s in %.1f s", name, time.monotonic() - started)
    return final


def _sweep(root: Path, name: str) -> None:
    """Remove leftovers of interrupted runs (only called while holding the lock)."""
    for prefix in (f".{name}.tmp-", f".{name}.old-"):
        for leftover in root.glob(prefix + "*"):
            logger.debug("removing leftover %s", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("waiting for another process holding %s", lock_path)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _mvn(*args: str, cwd: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ArtifactError("Maven ('mvn') is not on PATH; it is needed to fetch artifacts")
    cmd = [mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(POM), *args]
    logger.debug("running %s", cmd)
    # spawn(): mvn dies with us, so an interrupted fetch leaves no writer behind.
    with tempfile.TemporaryFile() as output:
        proc = spawn(cmd, cwd=cwd, output=output)
        try:
            code = proc.wait(_MVN_TIMEOUT)
        except BaseException as exc:  # timeout, Ctrl-C, ...: do not leave mvn running
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            if isinstance(exc, subprocess.TimeoutExpired):
                message = f"{' '.join(cmd)} timed out after {_MVN_TIMEOUT:.0f} s"
                raise ArtifactError(message) from exc
            raise
        if code != 0:
            output.seek(0)
            text = output.read().decode("utf-8", errors="replace")
            tail = "\n".join(text.strip().splitlines()[-40:])
            raise ArtifactError(f"{' '.join(cmd)} failed ({code}):\n{tail}")
