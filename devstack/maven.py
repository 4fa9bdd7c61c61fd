"""Maven coordinates, the repository they come from, and the lock ``devstack/artifacts.lock``.

The lock is TOML: ``pom_sha256`` (the ``pom.xml`` it was generated from), then one table per
cache entry (``kafka``, ``registry``) mapping ``groupId:artifactId:version[:classifier]:type``
to the file's SHA-256. ``python -m devstack.lock`` writes it; nobody edits it by hand.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEVSTACK_DIR = Path(__file__).resolve().parent
POM = DEVSTACK_DIR / "pom.xml"
LOCK = DEVSTACK_DIR / "artifacts.lock"
DEFAULT_REPOSITORY = "https://repo1.maven.org/maven2/"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class LockError(ValueError):
    """The lock file is missing or malformed."""


def repository() -> str:
    """The Maven repository base URL (``$DOCINK_MAVEN_REPOSITORY``, default Maven Central)."""
    return os.environ.get("DOCINK_MAVEN_REPOSITORY", DEFAULT_REPOSITORY).rstrip("/") + "/"


@dataclass(frozen=True, order=True)
class Coordinates:
    """``groupId:artifactId:version[:classifier]:type`` of one file in a Maven repository."""

    group: str
    artifact: str
    version: str
    classifier: str
    type: str

    @classmethod
    def parse(cls, text: str) -> Coordinates:
        parts = text.split(":")
        if len(parts) == 4:
            parts.insert(3, "")
        if len(parts) != 5 or not all(parts[:3] + parts[4:]):
            raise LockError(f"not groupId:artifactId:version[:classifier]:type: {text!r}")
        return cls(*parts)

    def __str__(self) -> str:
        parts = (self.group, self.artifact, self.version, self.classifier, self.type)
        return ":".join(part for part in parts if part)  # only the classifier may be empty

    @property
    def filename(self) -> str:
        """The file's name, as in the repository (``artifactId-version[-classifier].type``)."""
        suffix = f"-{self.classifier}" if self.classifier else ""
        return f"{self.artifact}-{self.version}{suffix}.{self.type}"

    def url(self, base: str) -> str:
        """The file's URL under the repository ``base`` (which ends in ``/``)."""
        group = self.group.replace(".", "/")
        return f"{base}{group}/{self.artifact}/{self.version}/{self.filename}"


@dataclass(frozen=True, order=True)
class Locked:
    """An artifact and the SHA-256 its file must have."""

    coordinates: Coordinates
    sha256: str


@dataclass(frozen=True)
class Lock:
    """The parsed lock: the pom's hash and the locked artifacts per cache entry."""

    pom_sha256: str
    entries: dict[str, tuple[Locked, ...]]

    def digest(self, entry: str) -> str:
        """A SHA-256 over one entry's artifacts and hashes (names its cache directory)."""
        text = "".join(f"{item.coordinates} {item.sha256}\n" for item in self.entries[entry])
        return hashlib.sha256(text.encode()).hexdigest()


def read_lock(path: Path = LOCK) -> Lock:
    """Parse and check a lock file."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LockError(f"cannot read {path}: {exc}") from exc
    pom_sha256 = data.pop("pom_sha256", "")
    entries: dict[str, tuple[Locked, ...]] = {}
    for entry, table in data.items():
        if not isinstance(table, dict) or not table:
            raise LockError(f"{path}: [{entry}] must be a non-empty table")
        items = []
        for text, sha256 in table.items():
            if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
                raise LockError(f"{path}: {text} needs a lowercase hex SHA-256")
            items.append(Locked(Coordinates.parse(text), sha256))
        if len({item.coordinates.filename for item in items}) != len(items):
            raise LockError(f"{path}: two artifacts in [{entry}] share a file name")
        entries[entry] = tuple(sorted(items))
    if not _SHA256.fullmatch(str(pom_sha256)):
        raise LockError(f"{path}: pom_sha256 missing or malformed")
    return Lock(pom_sha256, entries)


def format_lock(lock: Lock) -> str:
    """Render a lock file (stable order, one artifact a line, so diffs read well)."""
    lines = [
        "# The artifacts devstack runs, each with the SHA-256 its download must have.",
        "# Written from devstack/pom.xml by `python -m devstack.lock` (needs Maven); do not edit.",
        f'pom_sha256 = "{lock.pom_sha256}"',
    ]
    for entry, items in lock.entries.items():
        lines += ["", f"[{entry}]"]
        lines += [f'"{item.coordinates}" = "{item.sha256}"' for item in sorted(items)]
    return "\n".join(lines) + "\n"


def file_hash(path: Path, algorithm: str = "sha256") -> str:
    """A file's digest, in hex."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()
