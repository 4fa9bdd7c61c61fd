"""A request id for every request: the sender's ``X-Request-Id`` when it is a short plain token,
else a new one. Every log line emitted while handling the request carries it, and the answer
echoes it in ``X-Request-Id``."""

from __future__ import annotations

import re
import secrets
from contextvars import Token

from flask import Flask, Response, g, request

from bridge import logs

HEADER = "X-Request-Id"
SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id(given: str | None) -> str:
    """``given`` when it is a sane short token, else a new random id."""
    return given if given is not None and SANE.fullmatch(given) else secrets.token_hex(16)


def init_app(app: Flask) -> None:
    """Bind the request id (and no event id yet) for each request; echo it; unbind after."""

    @app.before_request
    def bind() -> None:
        rid = request_id(request.headers.get(HEADER))
        g.log_tokens = (logs.request_id.set(rid), logs.event_id.set(None))

    @app.after_request
    def echo(response: Response) -> Response:
        rid = logs.request_id.get()
        if rid is not None:
            response.headers[HEADER] = rid
        return response

    @app.teardown_request
    def unbind(_exc: BaseException | None) -> None:
        tokens: tuple[Token[str | None], Token[str | None]] | None = g.pop("log_tokens", None)
        if tokens is not None:
            logs.request_id.reset(tokens[0])
            logs.event_id.reset(tokens[1])
