"""Shared fixtures: the DocInk example bodies, a unit-test app, and the real cluster."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from flask import Flask
from flask.testing import FlaskClient

from bridge.app import create_app
from bridge.registration import register_schemas
from bridge.settings import Settings
from tests import SECRET
from tests.fakes import RecordingPublisher

pytest_plugins = ["tests.cluster"]

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "docink"


def load_fixture(name: str) -> dict[str, Any]:
    """One of DocInk's published example bodies."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture
def bot_installation() -> dict[str, Any]:
    return load_fixture("bot-installation")


@pytest.fixture
def device_order_created() -> dict[str, Any]:
    return load_fixture("device_order_created")


@pytest.fixture
def settings() -> Settings:
    return Settings(
        schema_registry_url=f"mock://{uuid.uuid4().hex}",
        shared_secret=SECRET,
        token_fingerprint_key=b"fingerprint-key",
    )


@pytest.fixture
def registry(settings: Settings) -> SchemaRegistryClient:
    client = SchemaRegistryClient.new_client({"url": settings.schema_registry_url})
    register_schemas(client, settings.topic_prefix)
    return client


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def app(settings: Settings, registry: SchemaRegistryClient, publisher: RecordingPublisher) -> Flask:
    return create_app(settings, publisher=publisher, registry=registry)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
