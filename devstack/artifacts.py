"""Fetch and cache the Kafka and Apicurio Registry artifacts named in ``devstack/artifacts.lock``.

Files come from a Maven repository over HTTPS (``$DOCINK_MAVEN_REPOSITORY``, default Maven
Central) with the standard library: no Maven, no Java. Every download must have the SHA-256 the
lock names. The cache lives outside the repository (``$DOCINK_CACHE_DIR``, default
``~/.cache/docink-bridge``), one directory per lock entry named by the entry's digest, so a new
lock means new directories. Each is built in a temporary sibling and renamed into place under an
exclusive file lock: an interrupted or refused fetch leaves nothing half-written behind, and
concurrent processes do not clobber each other.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from devstack import maven
from devstack.maven import Locked, LockError, read_lock, repository

logger = logging.getLogger(__name__)

LOG4J2_CONFIG = maven.DEVSTACK_DIR / "log4j2.properties"
_ATTEMPTS = 3
_TIMEOUT = 60.0
_CHUNK = 1 << 20
_PARALLEL = 8


class ArtifactError(RuntimeError):
    """An artifact could not be fetched, verified or unpacked."""


def cache_dir() -> Path:
    """Return the artifact cache root (``$DOCINK_CACHE_DIR`` or ``~/.cache/docink-bridge``)."""
    configured = os.environ.get("DOCINK_CACHE_DIR")
    root = Path(configured) if configured else Path.home() / ".cache" / "docink-bridge"
    return root.expanduser().resolve()


def kafka_libs() -> Path:
    """Return a directory holding the Kafka broker classpath jars, fetching if needed."""
    name, jars = _entry("kafka")

    def valid(home: Path) -> bool:
        return all((home / "libs" / jar.coordinates.filename).is_file() for jar in jars)

    def populate(tmp: Path) -> None:
        libs = tmp / "libs"
        libs.mkdir()
        pool = ThreadPoolExecutor(_PARALLEL, thread_name_prefix="devstack-fetch")
        try:
            for jar, done in [(jar, pool.submit(download, jar, libs)) for jar in jars]:
                done.result()
                logger.debug("verified %s", jar.coordinates)
        finally:
            pool.shutdown(cancel_futures=True)

    return _ensure(name, valid, populate) / "libs"


def registry_home() -> Path:
    """Return an unpacked Apicurio Registry app (holds ``quarkus-run.jar``), fetching if needed."""
    name, (app,) = _entry("registry")

    def valid(home: Path) -> bool:
        return (home / "quarkus-run.jar").is_file() and (home / "lib").is_dir()

    def populate(tmp: Path) -> None:
        archive = download(app, tmp)
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        archive.unlink()
        if not valid(tmp):
            raise ArtifactError(f"{app.coordinates} did not unpack to a Quarkus app layout")

    return _ensure(name, valid, populate)


def download(item: Locked, directory: Path) -> Path:
    """Download ``item`` into ``directory`` and return its path; on a SHA-256 mismatch or a
    failed download raise ``ArtifactError`` and leave no file behind."""
    url = item.coordinates.url(repository())
    target = directory / item.coordinates.filename
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            actual = _copy(url, target)
            break
        except OSError as exc:  # URLError and HTTPError are OSErrors
            target.unlink(missing_ok=True)
            permanent = isinstance(exc, urllib.error.HTTPError) and exc.code < 500
            if permanent or attempt == _ATTEMPTS:
                raise ArtifactError(f"{item.coordinates}: cannot download {url}: {exc}") from exc
            logger.warning("%s: %s; retrying", url, exc)
            time.sleep(attempt)
    if actual != item.sha256:
        target.unlink()
        raise ArtifactError(
            f"{item.coordinates}: checksum mismatch for {url}: the lock wants SHA-256 "
            f"{item.sha256}, the download has {actual}; refusing to use it"
        )
    return target


def _copy(url: str, target: Path) -> str:
    """Stream ``url`` into ``target``; return the content's SHA-256."""
    digest = hashlib.sha256()
    # http(s) for real repositories, file:// for local mirrors and tests.
    response = urllib.request.urlopen(url, timeout=_TIMEOUT)  # noqa: S310
    with response, open(target, "wb") as out:
        while chunk := response.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _entry(entry: str) -> tuple[str, tuple[Locked, ...]]:
    """The cache directory name and the artifacts of one lock entry."""
    try:
        lock = read_lock(maven.LOCK)
        return f"{entry}-{lock.digest(entry)[:16]}", lock.entries[entry]
    except (LockError, KeyError) as exc:
        raise ArtifactError(f"{maven.LOCK}: no usable [{entry}]: {exc}") from exc


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
            if final.exists():  # damaged (a file went missing): move aside, then swap in
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
