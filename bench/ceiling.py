"""The HTTP ceilings, served like the bridge (``granian --interface wsgi``, same workers and
threads):

- ``bench.ceiling:app``: a hello-world Flask app that only parses the JSON body;
- ``bench.ceiling:waiting_app``: the same, then it waits, as the bridge waits for Kafka's
  delivery report: its thread blocks on an event that another thread sets ``WAIT_SECONDS``
  later. What a request that waits costs the server model, with no work of the bridge's own.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from functools import cache
from typing import Any

from flask import Flask, request

# About a loopback ack under load. The server's CPU per request barely depends on it (2 ms:
# 0.21-0.23 ms, 6 ms: 0.23-0.24 ms per request at 128 connections); its requests/s at a fixed
# number of connections do, a little (2 ms: 7,200-8,000/s, 6 ms: 6,400-6,600/s).
WAIT_SECONDS = 0.002
GIVE_UP_SECONDS = 5.0


class Completer:
    """Sets each waiter's event ``delay`` seconds after it came, from one thread, as the
    bridge's delivery-report thread sets each request's event."""

    def __init__(self, delay: float) -> None:
        self._delay = delay
        self._due: deque[tuple[float, threading.Event]] = deque()
        self._changed = threading.Condition()
        threading.Thread(target=self._run, name="completer", daemon=True).start()

    def wait(self) -> bool:
        """Block until this waiter's event is set; False if it never was."""
        event = threading.Event()
        with self._changed:
            self._due.append((time.monotonic() + self._delay, event))
            if len(self._due) == 1:
                self._changed.notify()
        return event.wait(GIVE_UP_SECONDS)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._due:
                    self._changed.wait()
                now = time.monotonic()
                if self._due[0][0] > now:
                    self._changed.wait(self._due[0][0] - now)
                    continue
                ready = []
                while self._due and self._due[0][0] <= now:
                    ready.append(self._due.popleft()[1])
            for event in ready:
                event.set()


@cache
def completer() -> Completer:
    """This worker process's completer, started on first use (after the server forked)."""
    return Completer(WAIT_SECONDS)


def hello_world(name: str, wait: bool) -> Flask:
    flask_app = Flask(name)

    @flask_app.post("/webhooks/docink")
    def receive() -> tuple[dict[str, Any], int]:
        body = request.get_json()
        if wait and not completer().wait():
            return {"status": "not completed"}, 503
        return {"status": "accepted", "fields": len(body)}, 202

    @flask_app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return flask_app


app = hello_world(__name__, wait=False)
waiting_app = hello_world(f"{__name__}.waiting", wait=True)
