"""Fixtures of the bridge's tests that stop and start a broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from bridge.settings import Settings
from devstack import LocalKafka
from tests import SECRET
from tests.cluster import provision


@pytest.fixture
def own_broker() -> Iterator[LocalKafka]:
    """A broker of this test's own, so stopping it disturbs no other test."""
    with LocalKafka() as kafka:
        kafka.start()
        yield kafka


def own_broker_settings(broker: LocalKafka, registry_url: str, **overrides: object) -> Settings:
    """Provisioned settings for ``broker`` (fresh topic prefix) and the session's registry."""
    settings = Settings(
        bootstrap_servers=broker.bootstrap_servers,
        schema_registry_url=registry_url,
        shared_secret=SECRET,
        topic_prefix=f"o{uuid.uuid4().hex[:12]}",
        **overrides,
    )
    return provision(settings)
