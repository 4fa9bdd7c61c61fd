"""Benchmark 4: a webhook POST to its record on ``<prefix>.events.enriched``.

A bridge and a stream worker run on a fresh prefix. Webhooks are POSTed by the open-loop
generator at a steady rate (the issue's target: 500/s); a consumer (assigned to the end of the
enriched topic before the first POST, ``fetch.wait.max.ms`` 5) notes when each event id arrives.
Latency is arrival minus the moment the POST was due, on one monotonic clock (``perf_counter``),
so a bridge or worker that falls behind shows as latency, not as a lower rate.
"""

from __future__ import annotations

import http.client
import json
import math
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from bench import memory
from bench.bodies import Mix
from bench.http import PATH, Numbers
from bench.openloop import http_request, percentile, run_fixed_rate
from bench.stack import LOOPBACK, ServerModel, Stack
from bridge.catalog import ENRICHED_TYPE
from bridge.codec import registry_client
from bridge.schemas import registry_schema

WARMUP_EVENTS = 10
WARMUP_TIMEOUT = 180.0
DRAIN_TIMEOUT = 60.0
CONNECTIONS = 32


class Arrivals:
    """A consumer thread noting when each event id shows up on the enriched topic."""

    def __init__(self, bootstrap_servers: str, topic: str, decode: Callable[..., Any]) -> None:
        self.seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._topic = topic
        self._decode = decode
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": f"bench-e2e-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 5,
            }
        )
        admin = AdminClient({"bootstrap.servers": bootstrap_servers})
        partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions
        assignment = []
        for p in sorted(partitions):
            _, high = self._consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            assignment.append(TopicPartition(topic, p, high))
        self._consumer.assign(assignment)
        self._thread = threading.Thread(target=self._run, name="e2e-arrivals", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        context = SerializationContext(self._topic, MessageField.VALUE)
        while not self._stop.is_set():
            message = self._consumer.poll(0.05)
            if message is None or message.error():
                continue
            arrived = time.perf_counter()
            event_id = self._decode(message.value(), context)["event_id"]
            with self._lock:
                self.seen.setdefault(event_id, arrived)

    def wait_for(self, event_ids: list[str], timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self._lock:
                if all(event_id in self.seen for event_id in event_ids):
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


def run(
    stack: Stack,
    model: ServerModel,
    mix: Mix,
    numbers: Numbers,
    samples: int,
    rate: float,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    settings = stack.provision(stack.settings("e"))
    bridge, port = stack.start_bridge(settings, model, name="bridge-e2e")
    worker, _ = stack.start_worker(settings, "worker-e2e")
    meter = memory.MemoryMeter({"bridge": bridge.process.pid, "worker": worker.process.pid})
    stack.exits.callback(meter.stop)  # (if the run fails; stopping twice is harmless)
    meter.start()
    topic = ENRICHED_TYPE.topic(settings.topic_prefix)
    decode = AvroDeserializer(registry_client(settings), registry_schema(ENRICHED_TYPE))
    arrivals = Arrivals(settings.bootstrap_servers, topic, decode)
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {stack.secret}"}

    def post(n: int) -> tuple[str, int]:
        connection.request("POST", PATH, mix.render(n), headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 202:
            raise RuntimeError(f"bridge answered {response.status}: {body[:200]!r}")
        return json.loads(body)["event_id"], response.status

    try:
        warmup = [post(n)[0] for n in numbers.take(WARMUP_EVENTS)]
        if not arrivals.wait_for(warmup, WARMUP_TIMEOUT):
            raise RuntimeError("the warm-up events never reached the enriched topic")
        progress(f"end-to-end: worker warm; {samples} webhooks at {rate:g}/s")
        requests = [
            http_request(LOOPBACK, port, PATH, mix.render(n), headers)
            for n in numbers.take(samples)
        ]
        load = run_fixed_rate(LOOPBACK, port, requests, rate, CONNECTIONS, keep_answers=True)
        sent = {json.loads(body)["event_id"]: due for due, body in load.answers or []}
        arrivals.wait_for(list(sent), DRAIN_TIMEOUT)
        seen = arrivals.snapshot()
        meter.stop()
    finally:
        connection.close()
        arrivals.close()
    e2e = sorted((seen[e] - due) * 1000 for e, due in sent.items() if e in seen)
    acked = sorted(load.latencies_ms)
    summary = {
        "samples": samples,
        "rate": rate,
        "achieved_rate": round(load.achieved_rate, 1),
        "accepted": len(sent),
        "not_accepted": samples - len(sent),
        "not_accepted_by_status": load.non2xx_by_status,
        "arrived": len(e2e),
        "missing": len(sent) - len(e2e),
        "p50_ms": percentile(e2e, 50),
        "p99_ms": percentile(e2e, 99),
        "max_ms": e2e[-1] if e2e else math.nan,
        "post_to_202_p50_ms": percentile(acked, 50),
        "post_to_202_p99_ms": percentile(acked, 99),
        "topic_prefix": settings.topic_prefix,
    }
    progress(
        f"end-to-end: p50 {summary['p50_ms']:.1f} ms  p99 {summary['p99_ms']:.1f} ms  "
        f"(POST->202 p50 {summary['post_to_202_p50_ms']:.1f} ms), "
        f"{summary['not_accepted']} not accepted {load.non2xx_by_status or ''}, "
        f"{summary['missing']} missing"
    )
    return {"summary": summary, "memory": meter.report()}
