"""Fixtures of the bridge's tests that stop and start a broker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack import LocalKafka


@pytest.fixture
def own_broker() -> Iterator[LocalKafka]:
    """A broker of this test's own, so stopping it disturbs no other test."""
    with LocalKafka() as kafka:
        kafka.start()
        yield kafka
