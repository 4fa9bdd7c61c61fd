"""``docink worker`` (or ``python -m streams``): run a stream worker configured by DOCINK_*."""

from __future__ import annotations

import gc

import faust
import mode.loop

from bridge.logs import configure_logging
from bridge.settings import Settings
from streams.app import create_app

YOUNG_OBJECTS = 50_000


def main() -> None:
    """Run one worker until it is stopped, on uvloop (less asyncio overhead per event)."""
    mode.loop.use("uvloop")  # before anything creates the event loop
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    streams = create_app(settings)
    # What start-up made (modules, the app) lives as long as the process: out of the collector's
    # way, each full collection scans only what came since (tables grow with the data).
    gc.freeze()
    # A batch's records live for the batch; with the default young generation (700 objects)
    # they outlive collections, reach the old generation and set off full collections.
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
    # Faust's records go through the bridge's handler: JSON lines unless DOCINK_LOG_FORMAT=text.
    worker = faust.Worker(streams.app, loglevel=settings.log_level, override_logging=False)
    worker.execute_from_commandline()
