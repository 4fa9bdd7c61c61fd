"""The Flask app factory: settings in, a bridge with its producer and codecs out."""

from __future__ import annotations

import atexit

from confluent_kafka.schema_registry import SchemaRegistryClient
from flask import Flask

from bridge import health, http_errors, metrics, openapi, request_ids, webhooks
from bridge.codec import AvroEncoder, registry_client
from bridge.dedup import SeenEvents
from bridge.in_flight import InFlightBound
from bridge.ingest import Ingestor
from bridge.publisher import KafkaPublisher, Publishing
from bridge.rate_limits import RequestRateLimits
from bridge.services import EXTENSION, Services
from bridge.settings import Settings
from bridge.signatures import SignatureVerifier


def create_app(
    settings: Settings | None = None,
    *,
    publisher: Publishing | None = None,
    registry: SchemaRegistryClient | None = None,
) -> Flask:
    """Build the bridge. Call it in each worker process (after the server forks): it creates
    the Kafka producer unless one is injected. Rate limits, the in-flight bound and the
    duplicate window live in this process's memory: each worker process has its own."""
    settings = settings or Settings.from_env()
    settings.require_auth()
    signatures = SignatureVerifier(settings.signing_secrets)
    rate_limits = RequestRateLimits.from_settings(settings)
    registry = registry or registry_client(settings)
    if publisher is None:
        publisher = KafkaPublisher.from_settings(settings)
        atexit.register(publisher.close)
    encoder = AvroEncoder(registry, settings.topic_prefix, settings.auto_register_schemas)
    ingestor = Ingestor(
        encoder,
        publisher,
        settings.fingerprint_key,
        SeenEvents(settings.dedup_window_seconds, settings.dedup_max_ids),
        InFlightBound(settings.max_in_flight),
    )

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions[EXTENSION] = Services(
        settings, ingestor, publisher, registry, signatures, rate_limits
    )
    request_ids.init_app(app)
    http_errors.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(webhooks.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(openapi.blueprint)
    return app
