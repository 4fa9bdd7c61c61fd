"""The per-process services that request handlers use."""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka.schema_registry import SchemaRegistryClient
from flask import current_app

from bridge.ingest import Ingestor
from bridge.publisher import Publishing
from bridge.rate_limits import RequestRateLimits
from bridge.settings import Settings
from bridge.signatures import SignatureVerifier

EXTENSION = "docink"


@dataclass(frozen=True)
class Services:
    """Built once per worker process by ``create_app``."""

    settings: Settings
    ingestor: Ingestor
    publisher: Publishing
    registry: SchemaRegistryClient
    signatures: SignatureVerifier
    rate_limits: RequestRateLimits


def current() -> Services:
    """The current app's services."""
    return current_app.extensions[EXTENSION]
