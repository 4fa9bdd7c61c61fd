"""``python -m devstack.lock``: regenerate ``devstack/artifacts.lock`` with Maven (maintainers).

Maven resolves the Kafka broker's runtime classpath from ``devstack/pom.xml`` and downloads the
Apicurio Registry app; each file is hashed, checked against the ``.sha1`` that the repository
(``$DOCINK_MAVEN_REPOSITORY``) publishes next to it, and written to the lock that
``devstack.artifacts`` fetches from without Maven.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from devstack.maven import (
    LOCK,
    POM,
    Coordinates,
    Lock,
    Locked,
    file_hash,
    format_lock,
    repository,
)

_MODULE_SUFFIX = re.compile(r" -- module .*$")


def pom_property(name: str) -> str:
    """A ``<properties>`` value from ``devstack/pom.xml``."""
    tag = re.escape(name)
    match = re.search(rf"<{tag}>\s*([^<\s]+)\s*</{tag}>", POM.read_text())
    if match is None:
        raise SystemExit(f"property {name!r} missing in {POM}")
    return match.group(1)


def parse_listing(text: str) -> dict[Coordinates, Path]:
    """Parse ``dependency:list -DoutputAbsoluteArtifactFilename=true`` output.

    Lines look like ``g:a:type[:classifier]:version:scope:/path/to/file [-- module name]``.
    """
    found: dict[Coordinates, Path] = {}
    for raw in text.splitlines():
        line = _MODULE_SUFFIX.sub("", raw.strip())
        head, sep, path = line.partition(":/")
        if not sep:
            continue  # the header, blank lines
        fields = head.split(":")
        if len(fields) == 5:
            fields.insert(3, "")
        if len(fields) != 6:
            raise SystemExit(f"unexpected dependency:list line: {raw!r}")
        group, artifact, kind, classifier, version, _scope = fields
        found[Coordinates(group, artifact, version, classifier, kind)] = Path("/" + path)
    return found


def check_sha1(coordinates: Coordinates, path: Path, base: str) -> None:
    """Compare a file with the SHA-1 the repository publishes for it (``<url>.sha1``)."""
    url = coordinates.url(base) + ".sha1"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - repository URL
            published = response.read().decode().split()[0].lower()
    except (OSError, IndexError, UnicodeDecodeError) as exc:
        raise SystemExit(f"{coordinates}: cannot read {url}: {exc}") from exc
    if file_hash(path, "sha1") != published:
        raise SystemExit(f"{coordinates}: {path} does not match the SHA-1 published at {url}")


def resolve(workdir: Path) -> dict[str, dict[Coordinates, Path]]:
    """Run Maven once; return the files of each cache entry."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise SystemExit("regenerating the lock needs Maven ('mvn') on PATH")
    listing = workdir / "dependencies.txt"
    app = Coordinates(
        "io.apicurio", "apicurio-registry-app", pom_property("apicurio.version"), "all", "tar.gz"
    )
    maven_artifact = f"{app.group}:{app.artifact}:{app.version}:{app.type}:{app.classifier}"
    cmd = [
        mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(POM),
        "dependency:list", "-DincludeScope=runtime", "-DoutputAbsoluteArtifactFilename=true",
        f"-DoutputFile={listing}",
        "dependency:copy", f"-Dartifact={maven_artifact}", f"-DoutputDirectory={workdir}",
    ]  # fmt: skip
    proc = subprocess.run(  # noqa: S603 - a fixed command line
        cmd, cwd=workdir, capture_output=True, text=True, timeout=1800, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return {"kafka": parse_listing(listing.read_text()), "registry": {app: workdir / app.filename}}


def main() -> None:
    base = repository()
    with tempfile.TemporaryDirectory(prefix="devstack-lock-") as tmp:
        files = resolve(Path(tmp))
        every = [(coords, path) for entry in files.values() for coords, path in entry.items()]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda item: check_sha1(*item, base), every))
        lock = Lock(
            pom_sha256=file_hash(POM),
            entries={
                entry: tuple(sorted(Locked(c, file_hash(p)) for c, p in items.items()))
                for entry, items in files.items()
            },
        )
    LOCK.write_text(format_lock(lock))
    counts = ", ".join(f"{len(items)} {entry}" for entry, items in lock.entries.items())
    print(f"wrote {LOCK} ({counts}); every SHA-1 matches {base}")


if __name__ == "__main__":
    main()
