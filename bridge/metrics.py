"""The bridge's Prometheus metrics, served at ``/metrics``.

Under several worker processes (granian, gunicorn) prometheus_client runs in multiprocess mode:
``PROMETHEUS_MULTIPROC_DIR`` names a directory before prometheus_client is first imported
(``docink serve`` sees to it), every process writes its values there, and a scrape of any worker
answers the sum over all of them. Without it (unit tests, one process) ``/metrics`` serves this
process's registry.

Label values come from bounded sets only (catalog names, statuses, fixed reasons, librdkafka
error names, topics of the catalog), never from what a sender wrote. The request path uses the
cached label children below, so it pays for label resolution once per label set and process.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    make_wsgi_app,
    multiprocess,
)
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from bridge.catalog import UNKNOWN, lookup

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
PATH = "/metrics"
NO_EVENT_TYPE = "none"
# Loopback acks take about a millisecond; the delivery timeout is seconds.
PUBLISH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

WEBHOOK_REQUESTS = Counter(
    "docink_bridge_webhook_requests",
    "Webhook requests answered, by the catalog event type the body names and HTTP status.",
    ("event_type", "status"),
)
PUBLISH_SECONDS = Histogram(
    "docink_bridge_publish_seconds",
    "Seconds from producing a record to Kafka's delivery report, for delivered records.",
    ("topic",),
    buckets=PUBLISH_BUCKETS,
)
DELIVERY_FAILURES = Counter(
    "docink_bridge_delivery_failures",
    "Records Kafka did not confirm: no_report, queue_full, produce_refused or librdkafka's error.",
    ("reason",),
)
DEAD_LETTERED = Counter(
    "docink_bridge_dead_lettered",
    "Webhooks published to the dead-letter topic, by reason category.",
    ("reason",),
)
IN_FLIGHT = Gauge(
    "docink_bridge_in_flight",
    "Requests waiting for Kafka's delivery report.",
    multiprocess_mode="livesum",
)


def event_type_label(body: Mapping[str, Any]) -> str:
    """The catalog name of the event type ``body`` names: ``unknown`` for a name the catalog
    lacks, ``none`` when there is no name; never the sender's own text."""
    name = body.get("event_name")
    if not isinstance(name, str):
        return NO_EVENT_TYPE
    event_type = lookup(name)
    return event_type.name if event_type is not None else UNKNOWN


@cache
def webhook_requests(event_type: str, status: int) -> Counter:
    return WEBHOOK_REQUESTS.labels(event_type, str(status))


@cache
def publish_seconds(topic: str) -> Histogram:
    return PUBLISH_SECONDS.labels(topic)


@cache
def delivery_failures(reason: str) -> Counter:
    return DELIVERY_FAILURES.labels(reason)


@cache
def dead_lettered(reason: str) -> Counter:
    return DEAD_LETTERED.labels(reason)


def scraped_registry() -> CollectorRegistry:
    """What ``/metrics`` serves: every worker's files in multiprocess mode, else this process."""
    if not os.environ.get(MULTIPROC_DIR_ENV):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def init_app(app: Flask) -> None:
    """Serve ``/metrics`` with prometheus_client's own WSGI app (text or OpenMetrics, gzip)."""
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {PATH: make_wsgi_app(scraped_registry())}
    )


def multiprocess_dir(configured: str | None) -> str:
    """The directory for the workers' metric files: ``configured`` (created when missing; empty
    it between runs) or, when the operator set none, a new empty one."""
    if configured:
        Path(configured).mkdir(parents=True, exist_ok=True)
        return configured
    return tempfile.mkdtemp(prefix="docink-bridge-metrics-")
