"""``docink`` commands: help for each, and topics and schemas against the real cluster."""

from __future__ import annotations

import json
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    ResourceType,
)

from bridge.catalog import ALL_TYPES
from bridge.cli import main
from bridge.schemas import schema_dir
from tests.cluster import Cluster


@pytest.fixture
def env(cluster: Cluster) -> dict[str, str]:
    return {
        "DOCINK_BOOTSTRAP_SERVERS": cluster.bootstrap_servers,
        "DOCINK_SCHEMA_REGISTRY_URL": cluster.schema_registry_url,
        "DOCINK_TOPIC_PREFIX": f"c{uuid.uuid4().hex[:12]}",
        "DOCINK_TOPIC_PARTITIONS": "2",
    }


@pytest.mark.integration
def test_topics_create_is_idempotent(env):
    runner = CliRunner()
    first = runner.invoke(main, ["topics", "create"], env=env)
    second = runner.invoke(main, ["topics", "create"], env=env)
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    prefix = env["DOCINK_TOPIC_PREFIX"]
    assert f"created  {prefix}.device-order-created" in first.output
    assert first.output.count("created ") == len(ALL_TYPES)
    assert second.output.count("exists ") == len(ALL_TYPES)


@pytest.mark.integration
def test_schemas_register_is_idempotent(env):
    runner = CliRunner()
    first = runner.invoke(main, ["schemas", "register"], env=env)
    second = runner.invoke(main, ["schemas", "register"], env=env)
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    assert f"{env['DOCINK_TOPIC_PREFIX']}.deadletter-value" in first.output
    assert len(first.output.splitlines()) == len(ALL_TYPES)


def test_serve_refuses_to_start_without_a_secret():
    result = CliRunner().invoke(main, ["serve"], env={"DOCINK_SHARED_SECRET": ""})
    assert result.exit_code == 1
    assert "Error: DOCINK_SHARED_SECRET is not set" in result.output


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


def test_every_command_has_help():
    paths = list(_commands(main))
    assert {"serve", "worker", "replay", "stack"} <= {path[0] for path in paths if path}
    assert {("topics", "check"), ("schemas", "check")} <= set(paths)
    for path in paths:
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert result.output.startswith("Usage: "), path
        command = main
        for name in path:
            command = command.commands[name]
        assert command.help and len(command.help.split()) >= 5, path


def _topics_check(env: dict[str, str], exit_code: int, expect: str = "") -> str:
    """``docink topics check``'s output once it exits with ``exit_code`` and says ``expect``:
    brokers learn of created and changed topics a moment after the admin calls return."""
    deadline = time.monotonic() + 30
    while True:
        result = CliRunner().invoke(main, ["topics", "check"], env=env)
        if result.exit_code == exit_code and expect in result.output:
            return result.output
        assert time.monotonic() < deadline, result.output
        time.sleep(0.5)


@pytest.mark.integration
def test_topics_check_finds_missing_and_changed_topics(env):
    prefix = env["DOCINK_TOPIC_PREFIX"]
    missing = _topics_check(env, 1)
    assert f"missing  {prefix}.alerts" in missing
    assert f"{len(ALL_TYPES)} of {len(ALL_TYPES)} topics are not as declared" in missing

    assert CliRunner().invoke(main, ["topics", "create"], env=env).exit_code == 0
    assert _topics_check(env, 0).count("ok ") == len(ALL_TYPES)

    changed = f"{prefix}.task-created"
    admin = AdminClient({"bootstrap.servers": env["DOCINK_BOOTSTRAP_SERVERS"]})
    retention = ConfigEntry("retention.ms", "60000", incremental_operation=AlterConfigOpType.SET)
    resource = ConfigResource(ResourceType.TOPIC, changed, incremental_configs=[retention])
    for future in admin.incremental_alter_configs([resource]).values():
        future.result(30)
    for future in admin.create_partitions([NewPartitions(changed, 3)]).values():
        future.result(30)
    expected = (
        f"differs  {changed}: partitions 3 (expected 2); "
        f"retention.ms 60000 (expected {7 * 24 * 3600 * 1000})"
    )
    differs = _topics_check(env, 1, expected)
    assert f"Error: 1 of {len(ALL_TYPES)} topics are not as declared" in differs


def _edit(avro_dir: Path, event: str, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of ``avro_dir`` with ``change`` made to one schema."""
    copy = avro_dir.parent / f"{avro_dir.name}-{event}-{uuid.uuid4().hex[:6]}"
    shutil.copytree(avro_dir, copy)
    path = copy / f"{event}.avsc"
    schema = json.loads(path.read_text())
    change(schema)
    path.write_text(json.dumps(schema, indent=2))
    return copy


@pytest.fixture
def registered(env) -> dict[str, str]:
    result = CliRunner().invoke(main, ["schemas", "register"], env=env)
    assert result.exit_code == 0, result.output
    return env


@pytest.mark.integration
def test_schemas_check_refuses_breaking_changes_to_a_copy(registered, tmp_path):
    env, runner = registered, CliRunner()
    subject = f"{env['DOCINK_TOPIC_PREFIX']}.device-order-created-value"
    unchanged = tmp_path / "avro"
    shutil.copytree(schema_dir(), unchanged)

    same = runner.invoke(main, ["schemas", "check", "--avro-dir", str(unchanged)], env=env)
    assert same.exit_code == 0, same.output
    assert f"compatible   {subject} (version 1)" in same.output
    assert same.output.count("compatible ") == len(ALL_TYPES)

    def require_a_field(schema: dict[str, Any]) -> None:
        schema["fields"].append({"name": "ward", "type": "string"})

    def change_a_type(schema: dict[str, Any]) -> None:
        next(f for f in schema["fields"] if f["name"] == "app_uuid")["type"] = "string"

    for change, why in (
        (require_a_field, "reader_field_missing_default_value at /fields/8: ward"),
        (change_a_type, "type_mismatch at /fields/2/type"),
    ):
        broken = _edit(unchanged, "device-order-created", change)
        refused = runner.invoke(main, ["schemas", "check", "--avro-dir", str(broken)], env=env)
        assert refused.exit_code == 1, refused.output
        assert f"incompatible {subject} (version 1): {why}" in refused.output
        assert f"Error: incompatible with the registry: {subject}\n" in refused.output
        assert refused.output.count("\nincompatible ") == 1

    def add_an_optional_field(schema: dict[str, Any]) -> None:
        schema["fields"].append({"name": "ward", "type": ["null", "string"], "default": None})

    evolved = _edit(unchanged, "device-order-created", add_an_optional_field)
    passed = runner.invoke(main, ["schemas", "check", "--avro-dir", str(evolved)], env=env)
    assert passed.exit_code == 0, passed.output
    assert f"compatible   {subject} (version 1)" in passed.output


@pytest.mark.integration
def test_schemas_check_calls_unregistered_subjects_new(env):
    result = CliRunner().invoke(main, ["schemas", "check"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.count("new ") == len(ALL_TYPES)


@pytest.mark.integration
def test_schemas_register_refuses_a_breaking_change(registered, tmp_path):
    env, runner = registered, CliRunner()
    copy = tmp_path / "avro"
    shutil.copytree(schema_dir(), copy)
    broken = _edit(
        copy, "task-created", lambda schema: schema["fields"].append({"name": "x", "type": "int"})
    )
    result = runner.invoke(main, ["schemas", "register", "--avro-dir", str(broken)], env=env)
    assert result.exit_code == 1, result.output
    subject = f"{env['DOCINK_TOPIC_PREFIX']}.task-created-value"
    assert f"Error: the registry refused the schema of {subject}: " in result.output
    assert "Traceback" not in result.output


def test_worker_runs_the_stream_worker(monkeypatch):
    started = []
    monkeypatch.setattr("streams.worker.main", lambda: started.append(True))
    result = CliRunner().invoke(main, ["worker"])
    assert result.exit_code == 0, result.output
    assert started == [True]


def test_stack_runs_the_devstack_on_the_given_port(monkeypatch):
    ports = []
    monkeypatch.setattr("devstack.stack.run", lambda port: ports.append(port) or 0)
    assert CliRunner().invoke(main, ["stack", "--port", "8123"]).exit_code == 0
    assert ports == [8123]


def test_stack_refuses_a_taken_port():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["stack", "--port", str(port)])
    assert result.exit_code == 1
    assert f"port {port} is taken; pass --port" in result.output
