"""Replays webhook bodies (one JSON object per line) into a running bridge, for backfills.

Each body is POSTed as it is written, so the bridge derives the same event id from it as the
first time: replaying a file twice gives duplicates, not second records. That also makes a
resent POST safe, so connection errors, 429 and 5xx answers are retried (honoring Retry-After).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import urllib3
from urllib3.exceptions import HTTPError

from bridge.catalog import UNKNOWN


class Outcome(StrEnum):
    """What became of one line; the order is the summary's."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead_lettered"
    UNKNOWN = "unknown"  # accepted onto the unknown topic: no schema knows its event name
    REJECTED = "rejected"  # a 4xx answer: resending the same line will not help
    FAILED = "failed"  # gave up retrying: resending it later may
    INVALID = "invalid"  # not a JSON object: never sent


PROBLEMS = (Outcome.REJECTED, Outcome.FAILED, Outcome.INVALID)
LISTED = (Outcome.DEAD_LETTERED, Outcome.UNKNOWN, *PROBLEMS)  # reported by line number
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
SHOWN_LINES = 20  # line numbers listed per outcome; --failed-out has them all


@dataclass(frozen=True)
class Sent:
    """One line's outcome; ``detail`` names a status, an error or a dead-letter reason (field
    paths and types), never a value from the body."""

    line: int
    outcome: Outcome
    detail: str = ""
    retries: int = 0


@dataclass
class Summary:
    """Counts per outcome, line numbers of the unusual ones, and the raw lines that failed."""

    counts: Counter[Outcome] = field(default_factory=Counter)
    lines: defaultdict[Outcome, list[int]] = field(default_factory=lambda: defaultdict(list))
    details: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    failed_lines: dict[int, bytes] = field(default_factory=dict)

    def add(self, sent: Sent, raw: bytes) -> None:
        self.counts[sent.outcome] += 1
        self.retries += sent.retries
        if sent.outcome in LISTED:
            self.lines[sent.outcome].append(sent.line)
        if sent.detail:
            self.details[f"{sent.outcome}: {sent.detail}"] += 1
        if sent.outcome is Outcome.FAILED:
            self.failed_lines[sent.line] = raw

    @property
    def problems(self) -> int:
        """Lines rejected, failed or invalid."""
        return sum(self.counts[outcome] for outcome in PROBLEMS)

    @property
    def ok(self) -> bool:
        return self.problems == 0

    def report(self) -> str:
        """One row per outcome with the line numbers of the unusual ones, then their details."""
        rows = []
        for outcome in Outcome:
            numbers = sorted(self.lines[outcome])
            shown = ", ".join(map(str, numbers[:SHOWN_LINES]))
            more = f" and {len(numbers) - SHOWN_LINES} more" if len(numbers) > SHOWN_LINES else ""
            at = f"  lines {shown}{more}" if numbers else ""
            rows.append(f"{outcome:14}{self.counts[outcome]:>7}{at}")
        rows.append(f"{'retries':14}{self.retries:>7}")
        rows.extend(f"{count:>7}  {detail}" for detail, count in sorted(self.details.items()))
        return "\n".join(rows)


def webhook_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` for each line of ``path`` that is not blank."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line.strip()


def is_json_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError included
        return False


class Sender:
    """POSTs bodies with the shared secret through one thread-safe connection pool."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        pool_size: int,
        attempts: int = 6,
        timeout: float = 30.0,
        retry_after_max: int = 60,
    ) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        retry = urllib3.Retry(
            total=attempts - 1,
            allowed_methods=None,  # POST too: the bridge makes a resend a duplicate
            status_forcelist=RETRIED_STATUSES,
            backoff_factor=0.5,
            backoff_max=10,
            retry_after_max=retry_after_max,
            raise_on_status=False,  # the last answer is returned and counted as failed
        )
        self.pool = urllib3.PoolManager(
            maxsize=pool_size,
            block=True,
            retries=retry,
            timeout=urllib3.Timeout(connect=5.0, read=timeout),
        )

    def send(self, line: int, raw: bytes) -> Sent:
        try:
            response = self.pool.request("POST", self.url, body=raw, headers=self.headers)
        except HTTPError as exc:  # retries exhausted on connection errors, or a bad URL
            reason = getattr(exc, "reason", None) or exc
            return Sent(line, Outcome.FAILED, type(reason).__name__)
        retries = len(response.retries.history) if response.retries else 0
        return Sent(line, *classify(response.status, response.data), retries=retries)


def classify(status: int, data: bytes) -> tuple[Outcome, str]:
    """The outcome of the bridge's answer (``status`` and its JSON)."""
    try:
        answer = json.loads(data)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        answer = {}
    code = f"HTTP {status} {answer.get('error', '')}".strip()
    if status == 429 or status >= 500:  # what retrying did not get past
        return Outcome.FAILED, code
    if status >= 400:
        return Outcome.REJECTED, code
    if answer.get("status") == "duplicate":
        return Outcome.DUPLICATE, ""
    if answer.get("status") == "dead_lettered":
        return Outcome.DEAD_LETTERED, str(answer.get("reason", ""))
    if str(answer.get("topic", "")).endswith(f".{UNKNOWN}"):
        return Outcome.UNKNOWN, ""
    return Outcome.ACCEPTED, ""


def replay(
    lines: Iterable[tuple[int, bytes]],
    send: Callable[[int, bytes], Sent],
    *,
    concurrency: int,
    rate: float | None = None,
    progress: Callable[[int], None] = lambda done: None,
) -> Summary:
    """Send every line with ``concurrency`` threads, at most ``rate`` per second; lines are
    read as they are sent, so a file of any size fits in memory."""
    summary = Summary()
    pending: dict[Future[Sent], bytes] = {}
    started, submitted = time.monotonic(), 0

    def collect(done: Iterable[Future[Sent]]) -> None:
        for future in done:
            summary.add(future.result(), pending.pop(future))
            progress(1)

    with ThreadPoolExecutor(concurrency, thread_name_prefix="replay") as pool:
        for number, raw in lines:
            if not is_json_object(raw):
                summary.add(Sent(number, Outcome.INVALID, "not a JSON object"), raw)
                progress(1)
                continue
            if rate:
                time.sleep(max(0.0, started + submitted / rate - time.monotonic()))
            if len(pending) >= 2 * concurrency:
                collect(wait(pending, return_when=FIRST_COMPLETED).done)
            pending[pool.submit(send, number, raw)] = raw
            submitted += 1
        collect(wait(pending).done)
    return summary
