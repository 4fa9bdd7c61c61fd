"""The one place where errors become HTTP answers: JSON bodies, Retry-After on 429 and 503."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from bridge.errors import BodyTooLarge, BridgeError, RateLimited, Unavailable
from bridge.services import EXTENSION

logger = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Register the error handlers on ``app``."""
    retry_after = app.extensions[EXTENSION].settings.retry_after_seconds

    @app.errorhandler(BridgeError)
    def bridge_error(exc: BridgeError) -> Response:
        response = jsonify(error=exc.code, message=exc.message)
        response.status_code = exc.status
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        elif isinstance(exc, Unavailable):
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> Response:
        return bridge_error(BodyTooLarge(f"body exceeds {app.config['MAX_CONTENT_LENGTH']} bytes"))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        response = jsonify(
            error=(exc.name or "error").lower().replace(" ", "_"), message=exc.description
        )
        response.status_code = exc.code or 500
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        # The stack, not the message: messages of library errors may quote request data.
        logger.error(
            "unhandled %s\n%s", type(exc).__name__, "".join(traceback.format_tb(exc.__traceback__))
        )
        response = jsonify(error="internal_error", message="internal error")
        response.status_code = 500
        return response
