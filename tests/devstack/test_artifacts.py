"""Fetching from the lock: every download is checked against its SHA-256 before it is used.

A fake Maven repository in a temporary directory (``file://``, or served by ``http.server``)
stands in for Maven Central; no network.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import maven
from devstack.artifacts import ArtifactError, kafka_libs, registry_home
from devstack.maven import Coordinates, Lock, Locked, format_lock

JAR = "org.example:broker:1.0:jar"
OTHER_JAR = "org.example.deps:helper:2.1:jdk11:jar"
APP = "io.apicurio:apicurio-registry-app:3.3.3:all:tar.gz"


class FakeRepository:
    """A Maven repository layout on disk and the lock that names its files."""

    def __init__(self, root: Path, lock_path: Path) -> None:
        self.root = root
        self.lock_path = lock_path
        self.entries: dict[str, list[Locked]] = {}

    def publish(
        self, entry: str, text: str, content: bytes, *, served: bytes | None = None
    ) -> None:
        """Lock ``content``'s SHA-256; the repository serves ``served`` (default: the same)."""
        coordinates = Coordinates.parse(text)
        path = self.root / coordinates.url("")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if served is None else served)
        sha256 = hashlib.sha256(content).hexdigest()
        self.entries.setdefault(entry, []).append(Locked(coordinates, sha256))
        lock = Lock("0" * 64, {name: tuple(items) for name, items in self.entries.items()})
        self.lock_path.write_text(format_lock(lock))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCINK_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path) -> FakeRepository:
    fake = FakeRepository(tmp_path / "repository", tmp_path / "artifacts.lock")
    monkeypatch.setattr(maven, "LOCK", fake.lock_path)
    monkeypatch.setenv("DOCINK_MAVEN_REPOSITORY", fake.root.as_uri())
    return fake


def quarkus_app() -> bytes:
    """A tar.gz with the layout of the registry app."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in (("quarkus-run.jar", b"run"), ("lib/main/a.jar", b"a")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def cache_leftovers(cache: Path) -> list[str]:
    """Everything in the cache but the (empty) lock files."""
    return sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock"))


def test_locked_jars_are_fetched_verified_and_then_served_from_the_cache(
    repo: FakeRepository,
) -> None:
    repo.publish("kafka", JAR, b"broker classes")
    repo.publish("kafka", OTHER_JAR, b"helper classes")

    libs = kafka_libs()

    assert sorted(p.name for p in libs.iterdir()) == ["broker-1.0.jar", "helper-2.1-jdk11.jar"]
    assert (libs / "broker-1.0.jar").read_bytes() == b"broker classes"
    for path in repo.root.rglob("*.jar"):
        path.unlink()  # the repository is gone: a second call must not need it
    assert kafka_libs() == libs


def test_a_corrupted_jar_is_refused_and_leaves_no_cache_entry(
    repo: FakeRepository, cache: Path
) -> None:
    repo.publish("kafka", JAR, b"broker classes")
    repo.publish("kafka", OTHER_JAR, b"helper classes", served=b"helper classes, tampered")

    with pytest.raises(ArtifactError, match=r"org\.example\.deps:helper:2\.1:jdk11:jar") as info:
        kafka_libs()

    assert "checksum mismatch" in str(info.value)
    assert hashlib.sha256(b"helper classes").hexdigest() in str(info.value)
    assert cache_leftovers(cache) == []


def test_the_registry_archive_is_verified_and_unpacked(repo: FakeRepository) -> None:
    repo.publish("registry", APP, quarkus_app())

    home = registry_home()

    assert (home / "quarkus-run.jar").read_bytes() == b"run"
    assert (home / "lib" / "main" / "a.jar").is_file()
    assert not (home / "apicurio-registry-app-3.3.3-all.tar.gz").exists()


def test_a_corrupted_registry_archive_is_refused_before_unpacking(
    repo: FakeRepository, cache: Path
) -> None:
    repo.publish("registry", APP, quarkus_app(), served=quarkus_app()[:-10])

    with pytest.raises(ArtifactError, match=f"{APP}: checksum mismatch"):
        registry_home()

    assert cache_leftovers(cache) == []


def test_a_new_lock_gets_a_new_cache_directory(repo: FakeRepository) -> None:
    repo.publish("kafka", JAR, b"broker classes")
    before = kafka_libs()
    repo.publish("kafka", OTHER_JAR, b"helper classes")

    after = kafka_libs()

    assert after != before
    assert (after / "helper-2.1-jdk11.jar").is_file()


def test_a_damaged_cache_entry_is_fetched_again(repo: FakeRepository) -> None:
    repo.publish("kafka", JAR, b"broker classes")
    libs = kafka_libs()
    (libs / "broker-1.0.jar").unlink()

    assert kafka_libs() == libs
    assert (libs / "broker-1.0.jar").read_bytes() == b"broker classes"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(repo: FakeRepository, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRepository]:
    """The fake repository over HTTP on loopback."""
    handler = functools.partial(QuietHandler, directory=str(repo.root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("DOCINK_MAVEN_REPOSITORY", f"http://127.0.0.1:{server.server_port}/")
    monkeypatch.setenv("NO_PROXY", "*")
    try:
        yield repo
    finally:
        server.shutdown()
        server.server_close()


def test_downloads_over_http_and_names_a_missing_artifact(
    served: FakeRepository, cache: Path
) -> None:
    served.publish("kafka", JAR, b"broker classes")
    assert (kafka_libs() / "broker-1.0.jar").read_bytes() == b"broker classes"

    served.publish("kafka", OTHER_JAR, b"helper classes")
    (served.root / Coordinates.parse(OTHER_JAR).url("")).unlink()

    with pytest.raises(ArtifactError, match=f"{OTHER_JAR}: cannot download .*404"):
        kafka_libs()
    assert [name for name in cache_leftovers(cache) if ".tmp-" in name] == []
