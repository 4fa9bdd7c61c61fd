"""Process-wide logging set-up: one line per record, at the level the settings name."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s %(message)s"
QUIET_LOGGERS = ("httpx", "httpx2")


def configure_logging(level: str) -> None:
    """Log to stderr at ``level`` (``Settings.log_level``, from ``DOCINK_LOG_LEVEL``)."""
    logging.basicConfig(level=level.upper(), format=FORMAT)
    for chatty in QUIET_LOGGERS:  # they log a line per schema registry request
        logging.getLogger(chatty).setLevel(logging.WARNING)
