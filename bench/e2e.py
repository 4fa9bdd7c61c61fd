"""Benchmark 4: a webhook POST to what it becomes downstream: its alert on ``<prefix>.alerts``
or its count on ``<prefix>.rpm-program-device-orders`` (the issue's target), and its record on
``<prefix>.events.enriched``.

A bridge and a stream worker run on a fresh prefix. Webhooks are POSTed by the open-loop
generator at a steady rate (the issue's target: 500/s), traced: each device order has an RPM
program of its own, so its count shows as a new key, and no bot installation has a token, so
each raises an alert (``Mix.traced``). A consumer (assigned to the ends of the three topics
before the first POST, ``fetch.wait.max.ms`` 5) notes when each arrives. Latency is arrival
minus the moment the POST was due, on one monotonic clock (``perf_counter``), so a bridge or
worker that falls behind shows as latency, not as a lower rate.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from confluent_kafka import Consumer, Message, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from bench import memory
from bench.bodies import Mix
from bench.http import PATH, Numbers
from bench.openloop import http_request, percentile, run_fixed_rate
from bench.stack import LOOPBACK, ServerModel, Stack
from bridge.catalog import ALERTS_TYPE, ENRICHED_TYPE, RPM_COUNTS_TYPE
from bridge.codec import registry_client
from bridge.routing import canonical_envelope, event_id
from bridge.schemas import registry_schema
from bridge.settings import Settings

WARMUP_EVENTS = 10
WARMUP_TIMEOUT = 180.0
DRAIN_TIMEOUT = 60.0
CONNECTIONS = 32
WITHOUT_TOKEN = "bot_install_without_token"  # noqa: S105 (an alert kind)
# What each topic's records say arrived: an enriched event, an alert, a new count key.
ENRICHED, ALERT, COUNT = "enriched", "alert", "count"

Arrived = Callable[[Message], Iterable[str]]


class Arrivals:
    """A consumer thread noting when each traced id shows up, by topic (see ``tracers``)."""

    def __init__(self, bootstrap_servers: str, tracers: dict[str, Arrived]) -> None:
        self.seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._tracers = tracers
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": f"bench-e2e-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 5,
            }
        )
        admin = AdminClient({"bootstrap.servers": bootstrap_servers})
        assignment = []
        for topic in tracers:
            partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions
            for p in sorted(partitions):
                tp = TopicPartition(topic, p)
                _, high = self._consumer.get_watermark_offsets(tp, timeout=10)
                assignment.append(TopicPartition(topic, p, high))
        self._consumer.assign(assignment)
        self._thread = threading.Thread(target=self._run, name="e2e-arrivals", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            message = self._consumer.poll(0.05)
            if message is None or message.error():
                continue
            arrived = time.perf_counter()
            ids = list(self._tracers[message.topic()](message))
            with self._lock:
                for traced in ids:
                    self.seen.setdefault(traced, arrived)

    def wait_for(self, ids: Iterable[str], timeout: float) -> bool:
        wanted = list(ids)
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self._lock:
                if all(traced in self.seen for traced in wanted):
                    return True
            time.sleep(0.05)
        return False

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return dict(self.seen)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._consumer.close()


def tracers(settings: Settings) -> dict[str, Arrived]:
    """Per topic, the traced ids a record stands for: ``enriched:<event id>``,
    ``alert:<event id>`` (bot installations without a token), ``count:<program>`` (all-time)."""
    registry = registry_client(settings)

    def decoder(event_type: Any) -> Callable[[Message], dict[str, Any]]:
        deserialize = AvroDeserializer(registry, registry_schema(event_type))
        context = SerializationContext(event_type.topic(settings.topic_prefix), MessageField.VALUE)
        return lambda message: deserialize(message.value(), context)

    enriched, alert = decoder(ENRICHED_TYPE), decoder(ALERTS_TYPE)

    def enriched_ids(message: Message) -> Iterable[str]:
        return [f"{ENRICHED}:{enriched(message)['event_id']}"]

    def alert_ids(message: Message) -> Iterable[str]:
        record = alert(message)
        return [f"{ALERT}:{record['event_id']}"] if record["kind"] == WITHOUT_TOKEN else []

    def count_ids(message: Message) -> Iterable[str]:
        key = (message.key() or b"").decode()
        return [] if "/" in key else [f"{COUNT}:{key}"]  # "<program>/<day>": the same change

    return {
        ENRICHED_TYPE.topic(settings.topic_prefix): enriched_ids,
        ALERTS_TYPE.topic(settings.topic_prefix): alert_ids,
        RPM_COUNTS_TYPE.topic(settings.topic_prefix): count_ids,
    }


def traced_ids(mix: Mix, n: int, body: bytes) -> tuple[str, list[str]]:
    """The event id the bridge gives webhook ``n`` (its own function, so the run can check its
    answers), and the ids it should show as downstream: enriched, then its alert or count."""
    eid = event_id(canonical_envelope(json.loads(body)))
    downstream = f"{ALERT}:{eid}" if mix.is_bot_installation(n) else f"{COUNT}:{n}"
    return eid, [f"{ENRICHED}:{eid}", downstream]


def _latencies(
    sent: dict[str, float],
    ids: dict[str, list[str]],
    seen: dict[str, float],
    kinds: tuple[str, ...],
) -> tuple[list[float], int]:
    """Sorted ms from due to arrival of each accepted webhook's ids of ``kinds``, and how
    many never arrived."""
    found, missing = [], 0
    for eid, due in sent.items():
        for traced in ids[eid]:
            if traced.split(":", 1)[0] not in kinds:
                continue
            if traced in seen:
                found.append((seen[traced] - due) * 1000)
            else:
                missing += 1
    return sorted(found), missing  # fmt: skip


def run(
    stack: Stack,
    model: ServerModel,
    mix: Mix,
    numbers: Numbers,
    samples: int,
    rate: float,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """``mix`` must be traced (``Mix.traced``): each webhook shows downstream on its own."""
    settings = stack.provision(stack.settings("e"))
    bridge, port = stack.start_bridge(settings, model, name="bridge-e2e")
    worker, _ = stack.start_worker(settings, "worker-e2e")
    meter = memory.MemoryMeter({"bridge": bridge.process.pid, "worker": worker.process.pid})
    stack.exits.callback(meter.stop)  # (if the run fails; stopping twice is harmless)
    meter.start()
    arrivals = Arrivals(settings.bootstrap_servers, tracers(settings))
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {stack.secret}"}

    def send(count: int, at_rate: float) -> tuple[Any, dict[str, float], dict[str, list[str]]]:
        """POST ``count`` traced webhooks at ``at_rate``; the answers, the due time of each
        accepted event id, and the ids each should show as downstream."""
        bodies = {n: mix.render(n) for n in numbers.take(count)}
        ids = dict(traced_ids(mix, n, body) for n, body in bodies.items())
        requests = [http_request(LOOPBACK, port, PATH, body, headers) for body in bodies.values()]
        load = run_fixed_rate(LOOPBACK, port, requests, at_rate, CONNECTIONS, keep_answers=True)
        sent = {json.loads(body)["event_id"]: due for due, body in load.answers or []}
        if not set(sent) <= set(ids):
            raise RuntimeError("the bridge answered event ids the bench did not expect")
        return load, sent, ids

    try:
        _, warm_sent, warm_ids = send(WARMUP_EVENTS, 10)
        if not arrivals.wait_for((i for e in warm_sent for i in warm_ids[e]), WARMUP_TIMEOUT):
            raise RuntimeError("the warm-up webhooks never showed downstream")
        progress(f"end-to-end: worker warm; {samples} webhooks at {rate:g}/s")
        load, sent, ids = send(samples, rate)
        arrivals.wait_for((i for e in sent for i in ids[e]), DRAIN_TIMEOUT)
        seen = arrivals.snapshot()
        meter.stop()
    finally:
        arrivals.close()
    downstream, missing = _latencies(sent, ids, seen, (ALERT, COUNT))
    by_kind = {kind: _latencies(sent, ids, seen, (kind,)) for kind in (ALERT, COUNT, ENRICHED)}
    acked = sorted(load.latencies_ms)
    summary = {
        "samples": samples,
        "rate": rate,
        "achieved_rate": round(load.achieved_rate, 1),
        "accepted": len(sent),
        "not_accepted": samples - len(sent),
        "not_accepted_by_status": load.non2xx_by_status,
        "arrived": len(downstream),
        "missing": missing,
        "p50_ms": percentile(downstream, 50),
        "p99_ms": percentile(downstream, 99),
        "max_ms": downstream[-1] if downstream else math.nan,
        "by_topic": {
            kind: {
                "arrived": len(found),
                "missing": lost,
                "p50_ms": percentile(found, 50),
                "p99_ms": percentile(found, 99),
                "max_ms": found[-1] if found else math.nan,
            }
            for kind, (found, lost) in by_kind.items()
        },
        "post_to_202_p50_ms": percentile(acked, 50),
        "post_to_202_p99_ms": percentile(acked, 99),
        "topic_prefix": settings.topic_prefix,
    }
    progress(
        f"end-to-end (alert or count): p50 {summary['p50_ms']:.1f} ms  "
        f"p99 {summary['p99_ms']:.1f} ms  (POST->202 p50 {summary['post_to_202_p50_ms']:.1f} ms), "
        f"{summary['not_accepted']} not accepted {load.non2xx_by_status or ''}, "
        f"{summary['missing']} missing"
    )
    return {"summary": summary, "memory": meter.report()}
