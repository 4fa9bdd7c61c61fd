"""Process-wide logging set-up: one line per record, level from ``DOCINK_LOG_LEVEL``."""

from __future__ import annotations

import logging
import os

FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s %(message)s"
QUIET_LOGGERS = ("httpx", "httpx2")


def configure_logging(level: str | None = None) -> None:
    """Log to stderr at ``level`` (default ``DOCINK_LOG_LEVEL`` or INFO)."""
    logging.basicConfig(
        level=(level or os.environ.get("DOCINK_LOG_LEVEL") or "INFO").upper(), format=FORMAT
    )
    for chatty in QUIET_LOGGERS:  # they log a line per schema registry request
        logging.getLogger(chatty).setLevel(logging.WARNING)
