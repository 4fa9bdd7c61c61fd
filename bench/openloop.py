"""Open-loop load: requests at a constant arrival rate, whatever the server's speed.

wrk keeps N requests in flight (closed loop), so a slow server also slows the arrivals and its
latencies look better than a client at a fixed rate would see them (coordinated omission). Here
request ``i`` is due at ``t0 + i / rate``; a bounded pool of keep-alive connections sends them,
and each latency is measured from the *due* time, so time spent waiting for a free connection
(because the server is behind) counts. Requests are pre-rendered before the clock starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

try:  # a faster event loop, if the bench extra is installed
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:\s*chunked", re.IGNORECASE)


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of ascending ``sorted_values`` (nan when empty)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def http_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 response (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    if match := _CONTENT_LENGTH.search(head):
        return status, await reader.readexactly(int(match.group(1)))
    if _CHUNKED.search(head):
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        return status, b"".join(chunks)
    raise ValueError("response without Content-Length")


@dataclass
class FixedRateResult:
    """One fixed-rate run. Latencies in ms, from each request's due time, 2xx only."""

    target_rate: float
    duration_s: float
    connections: int
    sent: int = 0
    ok: int = 0
    non2xx: int = 0
    errors: int = 0
    unanswered: int = 0
    non2xx_by_status: dict[str, int] = field(default_factory=dict)
    achieved_rate: float = 0.0
    max_send_lag_ms: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    # With keep_answers: (due time on time.perf_counter's clock, response body) of each 2xx.
    answers: list[tuple[float, bytes]] | None = field(default=None, repr=False)

    def summary(self) -> dict[str, float | int]:
        ordered = sorted(self.latencies_ms)
        return {
            "target_rate": self.target_rate,
            "achieved_rate": round(self.achieved_rate, 1),
            "duration_s": self.duration_s,
            "connections": self.connections,
            "sent": self.sent,
            "ok": self.ok,
            "non2xx": self.non2xx,
            "non2xx_by_status": self.non2xx_by_status,
            "errors": self.errors,
            "unanswered": self.unanswered,
            "p50_ms": round(percentile(ordered, 50), 3),
            "p99_ms": round(percentile(ordered, 99), 3),
            "p999_ms": round(percentile(ordered, 99.9), 3),
            "max_ms": round(ordered[-1], 3) if ordered else math.nan,
            "max_send_lag_ms": round(self.max_send_lag_ms, 3),
        }


async def _fixed_rate(
    host: str,
    port: int,
    requests: Sequence[bytes],
    rate: float,
    connections: int,
    drain_timeout: float,
    keep_answers: bool,
) -> FixedRateResult:
    now = time.perf_counter  # uvloop's loop.time() has only millisecond resolution
    result = FixedRateResult(rate, len(requests) / rate, connections)
    if keep_answers:
        result.answers = []
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    first_due = now() + 0.2
    last_done = first_due

    async def dispatch() -> None:
        for i, payload in enumerate(requests):
            due = first_due + i / rate
            delay = due - now()
            if delay > 0:
                await asyncio.sleep(delay)
            result.max_send_lag_ms = max(result.max_send_lag_ms, (now() - due) * 1000)
            queue.put_nowait((due, payload))
            result.sent += 1
        for _ in range(connections):
            queue.put_nowait(None)

    async def connection() -> None:
        nonlocal last_done
        reader = writer = None
        while (item := await queue.get()) is not None:
            due, payload = item
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                writer.write(payload)
                status, body = await read_response(reader)
            except (OSError, ValueError, asyncio.IncompleteReadError):
                result.errors += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            done = now()
            if 200 <= status < 300:
                result.ok += 1
                result.latencies_ms.append((done - due) * 1000)
                last_done = max(last_done, done)
                if result.answers is not None:
                    result.answers.append((due, body))
            else:
                result.non2xx += 1
                key = str(status)
                result.non2xx_by_status[key] = result.non2xx_by_status.get(key, 0) + 1
        if writer is not None:
            writer.close()

    workers = [asyncio.ensure_future(connection()) for _ in range(connections)]
    await dispatch()
    _, pending = await asyncio.wait(workers, timeout=drain_timeout + 0.0)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # Whatever never got an answer: still queued, or in flight when the drain timed out.
    result.unanswered = result.sent - result.ok - result.non2xx - result.errors
    if result.unanswered:  # their latency is at least this: keep them in the percentiles
        floor = (now() - first_due - result.duration_s) * 1000
        result.latencies_ms.extend([max(floor, 0.0)] * result.unanswered)
    result.achieved_rate = result.ok / max(last_done - first_due, result.duration_s)
    return result


def run_fixed_rate(
    host: str,
    port: int,
    requests: Sequence[bytes],
    rate: float,
    connections: int = 64,
    drain_timeout: float = 15.0,
    keep_answers: bool = False,
) -> FixedRateResult:
    """Send ``requests`` at ``rate`` per second over at most ``connections`` connections;
    ``keep_answers`` keeps each 2xx answer's body with its due time."""
    coro = _fixed_rate(host, port, requests, rate, connections, drain_timeout, keep_answers)
    if uvloop is not None:
        return uvloop.run(coro)
    return asyncio.run(coro)
