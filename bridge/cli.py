"""``docink``: serve the bridge, create topics, register schemas."""

from __future__ import annotations

import os
import sys

import click

from bridge.codec import registry_client
from bridge.errors import ConfigError
from bridge.logs import configure_logging
from bridge.registration import register_schemas
from bridge.settings import Settings
from bridge.topics import admin_client, ensure_topics, topic_specs

# Measured on 2 cores: 2 workers with ~16 threads each cover rate x Kafka ack latency.
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 16


@click.group()
def main() -> None:
    """DocInk webhooks to Kafka. Configured by DOCINK_* environment variables."""
    configure_logging(Settings.from_env().log_level)


@main.command()
@click.option("--host", default="0.0.0.0", show_default=True)  # noqa: S104 (a server binds)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=DEFAULT_WORKERS, show_default=True)
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, help="per worker")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the bridge under granian (WSGI), one Kafka producer per worker process."""
    try:
        Settings.from_env().require_auth()  # fail here, not in every worker
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    args = [
        sys.executable, "-m", "granian",
        "--interface", "wsgi",
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
        "--blocking-threads", str(threads),
        "--no-access-log",  # the URL may carry the webhook secret
        "--factory",
        "bridge.wsgi:serving_app",
    ]  # fmt: skip
    os.execv(sys.executable, args)  # noqa: S606


@main.command()
def worker() -> None:
    """Run a stream worker (Faust): enrich, count device orders, raise alerts."""
    from streams.worker import main as run_worker

    run_worker()


@main.group()
def topics() -> None:
    """Kafka topics."""


@topics.command("create")
def topics_create() -> None:
    """Create every topic the bridge writes (idempotent)."""
    settings = Settings.from_env()
    outcome = ensure_topics(admin_client(settings), topic_specs(settings))
    for name, state in sorted(outcome.items()):
        click.echo(f"{state:8} {name}")


@main.group()
def schemas() -> None:
    """Schema Registry subjects."""


@schemas.command("register")
def schemas_register() -> None:
    """Register every schema of avro/ under its topic's subject (idempotent)."""
    settings = Settings.from_env()
    for name, schema_id in sorted(
        register_schemas(registry_client(settings), settings.topic_prefix).items()
    ):
        click.echo(f"{schema_id:6} {name}")
