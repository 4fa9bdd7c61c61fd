"""WSGI entry point: ``granian --interface wsgi --factory bridge.wsgi:serving_app`` (or gunicorn
``'bridge.wsgi:serving_app()'``). The server calls it in each worker process, so every worker
builds its own app and Kafka producer after it was forked, and nothing connects at import time."""

from flask import Flask

from bridge.app import create_app
from bridge.logs import configure_logging
from bridge.settings import Settings


def serving_app() -> Flask:
    """The bridge, configured from DOCINK_* environment variables, logging to stderr."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return create_app(settings)
