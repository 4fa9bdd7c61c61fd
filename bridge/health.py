"""``/healthz`` (the process is up) and ``/readyz`` (Kafka and the schema registry answer)."""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryError
from flask import Blueprint

from bridge import services as bridge_services
from bridge.codec import UNREACHABLE_ERRORS

logger = logging.getLogger(__name__)
blueprint = Blueprint("health", __name__)

CHECK_TIMEOUT_SECONDS = 2.0


@blueprint.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@blueprint.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    services = bridge_services.current()
    checks = {
        "kafka": services.publisher.ready(CHECK_TIMEOUT_SECONDS),
        "schema_registry": _registry_ready(services.registry),
    }
    ready = all(checks.values())
    body = {
        "status": "ready" if ready else "not_ready",
        "checks": {name: "ok" if ok else "unreachable" for name, ok in checks.items()},
    }
    return body, 200 if ready else 503


def _registry_ready(registry: Any) -> bool:
    try:
        registry.get_subjects()
    except (SchemaRegistryError, *UNREACHABLE_ERRORS) as exc:
        logger.warning("schema registry not ready: %s", type(exc).__name__)
        return False
    return True
