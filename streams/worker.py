"""``docink worker`` (or ``python -m streams``): run a stream worker configured by DOCINK_*."""

from __future__ import annotations

import faust

from bridge.logs import configure_logging
from bridge.settings import Settings
from streams.app import create_app


def main() -> None:
    """Run one worker until it is stopped."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    streams = create_app(settings)
    faust.Worker(streams.app, loglevel="INFO").execute_from_commandline()
