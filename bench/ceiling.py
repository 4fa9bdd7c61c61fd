"""The HTTP ceiling: a hello-world Flask app that only parses the JSON body, served like the
bridge (``granian --interface wsgi``, same workers and threads): ``bench.ceiling:app``."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

app = Flask(__name__)


@app.post("/webhooks/docink")
def receive() -> tuple[dict[str, Any], int]:
    body = request.get_json()
    return {"status": "accepted", "fields": len(body)}, 202


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
