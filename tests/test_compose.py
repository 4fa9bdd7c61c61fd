"""docker-compose.yml and the Dockerfile, checked without a Docker engine."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bridge.settings import KAFKA_PASSTHROUGH_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[1]
LONG_RUNNING = ("kafka", "schema-registry", "bridge", "worker")


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


class RecordingEnv(dict):
    """An environment that remembers which variables ``Settings.from_env`` asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)


def settings_variables() -> set[str]:
    env = RecordingEnv()
    Settings.from_env(env)
    return env.asked


def test_every_image_is_pinned(services):
    for name, service in services.items():
        image = service["image"]
        assert re.fullmatch(r"[\w./-]+:[\w.-]+", image), (name, image)
        assert not image.endswith(":latest"), name


def test_every_docink_variable_is_a_setting(services):
    known = settings_variables()
    assert "DOCINK_SHARED_SECRET" in known and "DOCINK_STREAMS_WEB_PORT" in known
    for name, service in services.items():
        for variable in service.get("environment", {}):
            if variable.startswith("DOCINK_") and not variable.startswith(KAFKA_PASSTHROUGH_PREFIX):
                assert variable in known, (name, variable)


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    undocumented = sorted(v for v in settings_variables() if f"`{v}`" not in readme)
    assert not undocumented


def test_dependencies_exist_and_wait_for_health(services):
    for name, service in services.items():
        for target, condition in service.get("depends_on", {}).items():
            assert target in services, (name, target)
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[target], (name, target)


def test_long_running_services_have_healthchecks(services):
    for name in LONG_RUNNING:
        assert services[name]["healthcheck"]["test"], name


def test_topics_and_schemas_come_from_the_projects_own_commands(services):
    command = " ".join(services["init"]["command"])
    assert "docink topics create" in command and "docink schemas register" in command
    for name in ("bridge", "worker"):
        assert services[name]["depends_on"]["init"]["condition"] == (
            "service_completed_successfully"
        )


def test_the_bridge_refuses_to_start_without_a_secret(services):
    assert services["bridge"]["environment"]["DOCINK_SHARED_SECRET"].startswith(
        "${DOCINK_SHARED_SECRET:?"
    )


def test_workers_scale(services):
    worker = services["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert "DOCINK_STREAMS_CANONICAL_URL" in " ".join(worker["command"])


def test_dockerfile_caches_dependencies_and_runs_as_non_root():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    first_source = next(i for i, line in enumerate(lines) if line.startswith("COPY bridge"))
    dependencies = next(i for i, line in enumerate(lines) if "requirements.txt" in line)
    assert dependencies < first_source
    assert [line for line in lines if line.startswith("USER ")] == ["USER docink"]
    assert lines[0].startswith("#") and any(
        line.startswith("FROM python:3.11-slim") for line in lines
    )


def _compose_validator() -> list[str] | None:
    """``docker compose`` (v2) where installed, else Debian's ``docker-compose`` (v1)."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_validator_accepts_the_file(tmp_path):
    validator = _compose_validator()
    if validator is None:
        if os.environ.get("CI"):
            pytest.fail("no compose validator: .ci/run installs Debian's docker-compose")
        pytest.skip("no docker compose / docker-compose here (CI installs one)")
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    if validator == ["docker-compose"]:
        # Compose v1 predates the top-level project `name` of the Compose Specification.
        document.pop("name")
    checked = tmp_path / "docker-compose.yml"
    checked.write_text(yaml.safe_dump(document, sort_keys=False))
    env = {**os.environ, "DOCINK_SHARED_SECRET": "compose-check"}
    proc = subprocess.run(
        [*validator, "-f", str(checked), "--project-directory", str(ROOT), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
