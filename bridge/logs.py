"""Process-wide logging set-up: one line per record, JSON (default) or text, each line emitted
while handling a request tagged with its request id and, once known, its event id."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from pathlib import Path
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(process)d %(message)s"
JSON_RENAMES = {"levelname": "level", "name": "logger"}
QUIET_LOGGERS = ("httpx", "httpx2")
# granian's --log-config for its own loggers, so that its lines are JSON too.
GRANIAN_LOG_CONFIG = Path(__file__).with_name("granian-logging.json")

# Set per request (bridge.request_ids) and per event (bridge.ingest); None elsewhere, e.g. on
# librdkafka's poll thread.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
event_id: ContextVar[str | None] = ContextVar("event_id", default=None)
CONTEXT_FIELDS = {"request_id": request_id, "event_id": event_id}


class ContextFilter(logging.Filter):
    """Copies the current request and event ids onto each record that passes (any logger's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in CONTEXT_FIELDS.items():
            value = var.get()
            if value is not None:
                setattr(record, name, value)
        return True


class TextFormatter(logging.Formatter):
    """``TEXT_FORMAT``, then ``request_id=... event_id=...`` when the record carries them."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        fields = record.__dict__
        ids = [f"{name}={fields[name]}" for name in CONTEXT_FIELDS if name in fields]
        return " ".join((super().format(record), *ids))


def json_formatter() -> JsonFormatter:
    """One JSON object per line: timestamp (UTC, ISO 8601), level, logger, process, message, and
    request_id / event_id when known. Also named by ``bridge/granian-logging.json``."""
    return JsonFormatter(JSON_FIELDS, rename_fields=JSON_RENAMES, timestamp=True)


def log_handler(log_format: str = "json", stream: TextIO | None = None) -> logging.Handler:
    """A handler writing ``log_format`` (``json`` or ``text``) lines to ``stream`` (stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(json_formatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    return handler


def configure_logging(level: str, log_format: str = "json") -> None:
    """Log to stderr at ``level`` in ``log_format`` (``Settings.log_level`` and
    ``Settings.log_format``, from ``DOCINK_LOG_LEVEL`` and ``DOCINK_LOG_FORMAT``). Like
    ``logging.basicConfig``, it leaves a root logger that already has handlers alone."""
    logging.basicConfig(level=level.upper(), handlers=[log_handler(log_format)])
    for chatty in QUIET_LOGGERS:  # they log a line per schema registry request
        logging.getLogger(chatty).setLevel(logging.WARNING)
