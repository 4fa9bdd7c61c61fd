"""``docink``: serve the bridge, run a worker, provision and check topics and schemas, replay
webhooks, run the local stack."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import suppress
from pathlib import Path

import click
from urllib3.util import parse_url

from bridge.codec import registry_client
from bridge.compatibility import Compatibility, check_schemas
from bridge.errors import ConfigError
from bridge.logs import configure_logging
from bridge.registration import SchemaRefused, catalog_schemas, register_schemas
from bridge.replay import Sender, replay, webhook_lines
from bridge.settings import Settings, split_secrets
from bridge.topics import MISSING, admin_client, check_topics, ensure_topics, topic_specs
from devstack.stack import DEFAULT_BRIDGE_PORT

# One worker process per core (2 here). Each request holds a thread while it waits for Kafka's
# ack, so threads bound concurrency, not CPU: 32 per worker take 64 concurrent senders without
# queueing, with DOCINK_MAX_IN_FLIGHT (28) leaving 4 free for health checks and refusals.
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 32
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 (a server binds)


@click.group()
def main() -> None:
    """DocInk webhooks to Kafka as Avro records.

    Configured by DOCINK_* environment variables (DOCINK_BOOTSTRAP_SERVERS,
    DOCINK_SCHEMA_REGISTRY_URL, DOCINK_TOPIC_PREFIX, DOCINK_SHARED_SECRET, ...).
    """
    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--host", default=ALL_INTERFACES, show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, help="port to listen on")
@click.option(
    "--workers", default=DEFAULT_WORKERS, show_default=True, help="processes (one per core)"
)
@click.option(
    "--threads",
    default=DEFAULT_THREADS,
    show_default=True,
    help="per worker; keep DOCINK_MAX_IN_FLIGHT below it",
)
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the bridge (granian, WSGI), one Kafka producer per worker process.

    /metrics sums over the workers: they share PROMETHEUS_MULTIPROC_DIR, a new empty directory
    unless it is set."""
    from bridge.logs import GRANIAN_LOG_CONFIG
    from bridge.metrics import MULTIPROC_DIR_ENV, multiprocess_dir

    try:
        settings = Settings.from_env()
        settings.require_auth()  # fail here, not in every worker
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    env = {**os.environ, MULTIPROC_DIR_ENV: multiprocess_dir(os.environ.get(MULTIPROC_DIR_ENV))}
    log_config = ["--log-config", str(GRANIAN_LOG_CONFIG)] if settings.log_format == "json" else []
    args = [
        sys.executable, "-m", "granian",
        "--interface", "wsgi",
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
        "--blocking-threads", str(threads),
        "--no-access-log",  # the URL may carry the webhook secret
        *log_config,
        "--factory",
        "bridge.wsgi:serving_app",
    ]  # fmt: skip
    os.execve(sys.executable, args, env)  # noqa: S606


@main.command()
def worker() -> None:
    """Run a stream worker: enrich, count device orders, raise alerts.

    A faust-streaming worker over the bridge's topics; run several to share the partitions."""
    from streams.worker import main as run_worker

    run_worker()


@main.group()
def topics() -> None:
    """Create the Kafka topics, or check them against their declaration."""


@topics.command("create")
def topics_create() -> None:
    """Create every topic the bridge and the stream agents write.

    Partitions, replication and retention come from DOCINK_TOPIC_*; topics that exist are
    left as they are (idempotent)."""
    settings = _settings()
    outcome = ensure_topics(admin_client(settings), topic_specs(settings))
    for name, state in sorted(outcome.items()):
        click.echo(f"{state:8} {name}")


@topics.command("check")
def topics_check() -> None:
    """Compare every topic with its declaration.

    Reports each topic that is missing, or whose partitions, replication, retention, cleanup
    policy or min.insync.replicas differ. Exits 1 if any does."""
    settings = _settings()
    outcome = check_topics(admin_client(settings), topic_specs(settings))
    for name, found in sorted(outcome.items()):
        state = "ok" if not found else MISSING if found == [MISSING] else "differs"
        detail = f": {'; '.join(found)}" if state == "differs" else ""
        click.echo(f"{state:8} {name}{detail}")
    off = sum(1 for found in outcome.values() if found)
    if off:
        raise click.ClickException(f"{off} of {len(outcome)} topics are not as declared")


AVRO_DIR = click.option(
    "--avro-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Read the .avsc files from this folder instead of the packaged avro/ "
    "(to try an edited copy).",
)


@main.group()
def schemas() -> None:
    """Register the Avro schemas, or check them against the registry."""


@schemas.command("register")
@AVRO_DIR
def schemas_register(avro_dir: Path | None) -> None:
    """Register every schema under its topic's subject (idempotent).

    Sets each subject's compatibility to BACKWARD first. Exits 1, naming the subject, when the
    registry refuses a breaking change."""
    settings = _settings()
    try:
        ids = register_schemas(registry_client(settings), settings.topic_prefix, avro_dir)
    except (SchemaRefused, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    for name, schema_id in sorted(ids.items()):
        click.echo(f"{schema_id:6} {name}")


@schemas.command("check")
@AVRO_DIR
def schemas_check(avro_dir: Path | None) -> None:
    """Check every schema's compatibility with the registry.

    Asks the registry whether each catalog schema could be registered as its subject's next
    version (nothing is registered), and why not. Exits 1 if any is incompatible."""
    settings = _settings()
    try:
        schemas_by_subject = catalog_schemas(settings.topic_prefix, avro_dir)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    verdicts = check_schemas(registry_client(settings), schemas_by_subject)
    for verdict in sorted(verdicts, key=lambda verdict: verdict.subject):
        against = f" (version {verdict.latest_version})" if verdict.latest_version else ""
        reason = f": {verdict.reason}" if verdict.reason else ""
        click.echo(f"{verdict.compatibility:13}{verdict.subject}{against}{reason}")
    refused = [v.subject for v in verdicts if v.compatibility is Compatibility.INCOMPATIBLE]
    if refused:
        raise click.ClickException(f"incompatible with the registry: {', '.join(refused)}")


def _http_url(ctx: click.Context, param: click.Parameter, url: str) -> str:
    with suppress(ValueError):  # urllib3's LocationParseError
        if parse_url(url).scheme in ("http", "https"):
            return url
    raise click.BadParameter("must be an http:// or https:// URL")


@main.command("replay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--url",
    default=f"http://127.0.0.1:{DEFAULT_BRIDGE_PORT}/webhooks/docink",
    show_default=True,
    callback=_http_url,
    help="The bridge's webhook endpoint.",
)
@click.option(
    "--secret",
    envvar="DOCINK_SHARED_SECRET",
    show_envvar=True,
    help="Shared secret, sent as a Bearer token (the first, if comma-separated). "
    "Prefer the environment variable: arguments show in process lists.",
)
@click.option(
    "--concurrency",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Requests in flight at once; 1 keeps the file's order.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    help="At most this many requests per second.  [default: no limit]",
)
@click.option(
    "--attempts",
    default=6,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Tries per line on connection errors, 429 and 5xx (honoring Retry-After).",
)
@click.option(
    "--failed-out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the lines that failed (gave up retrying) here, to replay them later.",
)
def replay_command(
    file: Path,
    url: str,
    secret: str | None,
    concurrency: int,
    rate: float | None,
    attempts: int,
    failed_out: Path | None,
) -> None:
    """Replay webhooks from a JSON Lines FILE into a running bridge.

    For backfills: one webhook body per line, POSTed as written. Blank lines are skipped; a
    line that is not a JSON object is counted as invalid and never sent. The bridge derives
    each event id from the body, so replaying a file again yields duplicates, not second
    records. Prints a summary with the line numbers of problems (never their content) and
    exits 1 if any line was rejected, failed or invalid.
    """
    current = split_secrets(secret)
    if not current:
        raise click.UsageError("no secret: set DOCINK_SHARED_SECRET or pass --secret")
    # urllib3 logs each retry with the URL, whose path may hold the secret; the summary counts them.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    sender = Sender(url, current[0], pool_size=concurrency, attempts=attempts)
    total = sum(1 for _ in webhook_lines(file))
    with click.progressbar(length=total, label="replaying", file=sys.stderr) as bar:
        summary = replay(
            webhook_lines(file),
            sender.send,
            concurrency=concurrency,
            rate=rate,
            progress=bar.update,
        )
    click.echo(summary.report())
    if failed_out is not None:
        failed_out.write_bytes(
            b"".join(raw + b"\n" for _, raw in sorted(summary.failed_lines.items()))
        )
    if not summary.ok:
        raise click.ClickException(f"{summary.problems} of {total} lines were not replayed")


@main.command()
@click.option("--port", default=DEFAULT_BRIDGE_PORT, show_default=True, help="The bridge's port.")
def stack(port: int) -> None:
    """Run Kafka, the registry, the bridge and a stream worker locally.

    From real parts: Kafka and Apicurio Registry as JVMs, the topics and schemas, the bridge
    and a stream worker; prints where each listens. Ctrl-C stops all of it (as
    ``python -m devstack`` does)."""
    from devstack.stack import run

    sys.exit(run(port))
