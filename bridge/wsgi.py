"""WSGI entry point for granian or gunicorn: ``bridge.wsgi:app``, one app per worker process."""

from bridge.app import create_app
from bridge.logs import configure_logging

configure_logging()
app = create_app()
