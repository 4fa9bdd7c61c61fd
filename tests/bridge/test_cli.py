"""``docink`` commands against the real cluster: topics and schemas, idempotently."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner

from bridge.catalog import ALL_TYPES
from bridge.cli import main
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
