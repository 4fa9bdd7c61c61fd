"""Benchmark 3: a stream worker over pre-loaded device orders, beside a plain consumer's ceiling
and the Faust floor.

Each round gets a fresh topic prefix (so a fresh Faust app id, consumer group and tables):
1. pre-load N ``device-order-created`` records, routed and encoded by the bridge's own code;
2. the raw ceiling: a plain confluent-kafka consumer reads and Avro-decodes all N with
   ``AvroDeserializer`` (the catalog schema as reader schema); then again with the agents' own
   decoder (fastavro inline, about three times cheaper), reported beside it in the JSON;
3. the Faust floor: ``python -m bench.faust_floor`` (the worker's Faust app with one agent that
   only decodes and counts), once per variant (one record at a time, in batches), each its own
   consumer group; timed from the first record its agent got to the N-th it counted, by its own
   clock (``GET /floor``), so start-up is excluded, as from the worker's figure;
4. ``python -m streams`` starts; the run is complete when the worker's group has committed every
   input record and every routed record. Processing time is taken from the records the worker
   wrote (Kafka timestamps): the first routed or enriched record to the last count published.
   The counts are then checked against N through the worker's web view.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from bench import bodies, memory
from bench.cpu import runqueue_wait_seconds
from bench.faust_floor import PAGE as FLOOR_PAGE
from bench.faust_floor import VARIANTS as FLOOR_VARIANTS
from bench.procs import http_get
from bench.profile import Profile
from bench.stack import LOOPBACK, Stack
from bridge.catalog import ENRICHED_TYPE, RPM_COUNTS_TYPE, lookup
from bridge.codec import AvroEncoder, registry_client
from bridge.ingest import CONTENT_TYPE
from bridge.publisher import producer_config
from bridge.routing import Routed, route
from bridge.schemas import registry_schema
from bridge.settings import Settings
from streams.codec import StreamCodec

logger = logging.getLogger(__name__)

DEVICE_ORDER_CREATED = lookup("device_order_created")
POLL_SECONDS = 0.5
WORKER_STOP_SECONDS = 10


@dataclass(frozen=True)
class StreamPlan:
    records: int
    programs: int
    rounds: int
    timeout: float
    profile_dir: Path | None = None  # set: one more round, profiled, not in the medians


def _routed(plan: StreamPlan, seed: int, fingerprint_key: bytes) -> list[Routed]:
    received_at = datetime.now(UTC)
    routed = [
        route(body, received_at, fingerprint_key)
        for body in bodies.device_orders(plan.records, plan.programs, seed)
    ]
    assert all(r.event_type is DEVICE_ORDER_CREATED for r in routed), "fixture did not route"
    return routed


def preload(settings: Settings, routed: list[Routed]) -> float:
    """Produce the records as the bridge would (same encoder, key and headers); seconds taken."""
    started = time.monotonic()
    encoder = AvroEncoder(registry_client(settings), settings.topic_prefix)
    topic = DEVICE_ORDER_CREATED.topic(settings.topic_prefix)
    producer = Producer(
        {
            **producer_config(settings),
            "linger.ms": 50,
            "batch.size": 1_000_000,
            "queue.buffering.max.messages": 1_000_000,
        }
    )
    failed: list[str] = []

    def on_delivery(err: Any, _msg: Any) -> None:
        if err is not None:
            failed.append(str(err))

    for r in routed:
        received_at = r.record["received_at"]
        headers = [
            ("event-id", r.event_id.encode()),
            ("received-at", received_at.isoformat(timespec="milliseconds").encode()),
            ("content-type", CONTENT_TYPE),
            ("event-name", b"device-order-created"),
        ]
        value = encoder.encode(r.event_type, r.record)
        while True:
            try:
                producer.produce(topic, value, r.key, headers=headers, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    if producer.flush(60) or failed:
        raise RuntimeError(f"pre-load failed: {failed[:3]}")
    return time.monotonic() - started


def _partitions(admin: AdminClient, topic: str) -> list[int]:
    metadata = admin.list_topics(topic, timeout=10).topics[topic]
    if metadata.error is not None:
        raise KafkaException(metadata.error)
    return sorted(metadata.partitions)


def raw_ceiling(
    settings: Settings, expected: int, timeout: float, agents_decoder: bool = False
) -> dict[str, Any]:
    """A plain consumer reads and decodes every input record; decoded records per second.

    The decoder is confluent-kafka's ``AvroDeserializer`` (the catalog schema as reader schema),
    or with ``agents_decoder`` the agents' own (``streams.codec.StreamCodec``, fastavro inline).
    """
    topic = DEVICE_ORDER_CREATED.topic(settings.topic_prefix)
    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers})
    consumer = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "group.id": f"bench-raw-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    registry = registry_client(settings)
    deserializer = AvroDeserializer(registry, registry_schema(DEVICE_ORDER_CREATED))
    context = SerializationContext(topic, MessageField.VALUE)
    codec = StreamCodec(registry, settings.topic_prefix)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in _partitions(admin, topic)])

    async def read() -> tuple[int, float | None, float]:
        decoded, first = 0, None
        deadline = time.monotonic() + timeout
        while decoded < expected and time.monotonic() < deadline:
            for message in consumer.consume(1000, 0.5):
                if message.error():
                    raise KafkaException(message.error())
                if agents_decoder:
                    await codec.decode(DEVICE_ORDER_CREATED, message.value())
                else:
                    deserializer(message.value(), context)
                decoded += 1
                if first is None:
                    # The clock starts once the first record is decoded: its writer schema came
                    # from the registry (seconds, for a cold one), every later one from a cache.
                    first = time.monotonic()
        return decoded, first, time.monotonic()

    try:
        decoded, first, finished = asyncio.run(read())
    finally:
        consumer.close()
    seconds = finished - (first or finished)
    timed = max(0, decoded - 1)  # the records decoded after the clock started
    return {
        "decoded": decoded,
        "seconds": round(seconds, 3),
        "events_per_second": timed / seconds if seconds > 0 else 0.0,
    }


def _committed(admin: AdminClient, group: str) -> dict[tuple[str, int], int]:
    futures = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
    result = futures[group].result(10)
    return {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions if tp.offset >= 0}


def _ends(consumer: Consumer, topic: str, partitions: list[int]) -> dict[int, tuple[int, int]]:
    return {
        p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in partitions
    }


def _timestamps_at(consumer: Consumer, topic: str, offsets: dict[int, int]) -> list[float]:
    """The Kafka timestamps (seconds) of one record per partition: ``{partition: offset}``."""
    consumer.assign([TopicPartition(topic, p, offset) for p, offset in offsets.items()])
    found: dict[int, float] = {}
    deadline = time.monotonic() + 15
    while len(found) < len(offsets) and time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is None or message.error() or message.partition() in found:
            continue
        if message.offset() == offsets[message.partition()]:
            found[message.partition()] = message.timestamp()[1] / 1000
    consumer.unassign()
    return list(found.values())


def _edge_timestamps(consumer: Consumer, admin: AdminClient, topic: str) -> tuple[float, float]:
    """The earliest first record and the latest last record of ``topic``, by timestamp."""
    ends = {
        p: (low, high)
        for p, (low, high) in _ends(consumer, topic, _partitions(admin, topic)).items()
        if high > low
    }
    firsts = _timestamps_at(consumer, topic, {p: low for p, (low, _) in ends.items()})
    lasts = _timestamps_at(consumer, topic, {p: high - 1 for p, (_, high) in ends.items()})
    if not firsts or not lasts:
        raise RuntimeError(f"no records on {topic}")
    return min(firsts), max(lasts)


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_run(
    stack: Stack,
    settings: Settings,
    plan: StreamPlan,
    name: str,
    progress: Callable[[str], None],
    profile_to: Path | None = None,
) -> dict[str, Any]:
    """Start a worker on the pre-loaded prefix; time it until every count is in."""
    prefix = settings.topic_prefix
    group = f"{prefix}-streams"
    input_topic = DEVICE_ORDER_CREATED.topic(prefix)
    routed_topic = f"{group}-device-orders-by-program"
    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers})
    probe = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "group.id": f"bench-probe-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 10,
        }
    )
    try:
        input_partitions = _partitions(admin, input_topic)
        launched_wall, launched = time.time(), time.monotonic()
        worker, port = stack.start_worker(settings, name)
        ready_after = time.monotonic() - launched
        profile = (
            Profile(stack.exits, worker.process.pid, profile_to, stack.log_dir)
            if profile_to
            else None
        )
        meter = memory.MemoryMeter({"worker": worker.process.pid}).start()
        stack.exits.callback(meter.stop)  # (if the run fails; stopping twice is harmless)
        progress(f"{name}: web server up after {ready_after:.1f}s; waiting for the counts")
        deadline = launched + plan.timeout
        done_input = done_routed = 0
        routed_total = None
        last_report = time.monotonic()
        while time.monotonic() < deadline:
            if not worker.alive:
                raise RuntimeError(f"{name} exited; log {worker.log}:\n{worker.log_tail()}")
            committed = _committed(admin, group)
            done_input = sum(committed.get((input_topic, p), 0) for p in input_partitions)
            done_routed = sum(o for (t, _), o in committed.items() if t == routed_topic)
            if done_input >= plan.records:
                routed_ends = _ends(probe, routed_topic, _partitions(admin, routed_topic))
                routed_total = sum(high for _, high in routed_ends.values())
                if done_routed >= routed_total:
                    break
            if time.monotonic() - last_report >= 10:
                last_report = time.monotonic()
                progress(
                    f"{name}: committed {done_input:,}/{plan.records:,} input, "
                    f"{done_routed:,} routed, {time.monotonic() - launched:.0f}s since launch"
                )
            time.sleep(POLL_SECONDS)
        complete_after = time.monotonic() - launched
        complete = routed_total is not None and done_routed >= routed_total
        profiled = profile.finish() if profile else None
        cpu = _cpu_seconds(worker.process.pid)
        waited = runqueue_wait_seconds(str(worker.process.pid))
        meter.stop()
        peaks = meter.report()["worker"]
        counted = _sum_counts(port, plan.programs) if complete else None
        # (the web view is read after the clock stopped: it does not slow the run)
        worker.stop(WORKER_STOP_SECONDS)
        if not complete:
            progress(f"{name}: NOT complete after {plan.timeout:.0f}s (--stream-timeout)")
            return {
                "complete": False,
                "committed_input": done_input,
                "committed_routed": done_routed,
                "counted_all_time": None,
                "counts_match": False,
                "events_per_second": 0.0,
                "events_per_second_from_launch": 0.0,
                "processing_s": None,
                "worker_cpu_s": cpu,
                "worker_runqueue_wait_s": waited,
                "events_per_worker_cpu_s": None,
                "memory": peaks,
                "profile": profiled,
            }
        first_routed, _ = _edge_timestamps(probe, admin, routed_topic)
        first_enriched, last_enriched = _edge_timestamps(probe, admin, ENRICHED_TYPE.topic(prefix))
        _, last_count = _edge_timestamps(probe, admin, RPM_COUNTS_TYPE.topic(prefix))
    finally:
        probe.close()
    started = min(first_routed, first_enriched)
    processing = last_count - started
    return {
        "complete": complete,
        "committed_input": done_input,
        "committed_routed": done_routed,
        "counted_all_time": counted,
        "counts_match": counted == plan.records,
        "web_up_after_s": round(ready_after, 2),
        "first_processed_after_launch_s": round(started - launched_wall, 2),
        "complete_detected_after_launch_s": round(complete_after, 2),
        "processing_s": round(processing, 3),
        "enriched_done_after_first_s": round(last_enriched - started, 3),
        "events_per_second": plan.records / processing if processing > 0 else 0.0,
        "events_per_second_from_launch": plan.records / (last_count - launched_wall),
        "worker_cpu_s": cpu,
        # (its main thread, from launch until the run was seen complete)
        "worker_runqueue_wait_s": None if waited is None else round(waited, 3),
        "worker_cpu_share": cpu / complete_after if cpu else None,
        "events_per_worker_cpu_s": plan.records / cpu if cpu else None,
        "memory": peaks,
        "profile": profiled,
    }


def floor_figures(tally: dict[str, Any], launched_wall: float) -> dict[str, Any]:
    """A Faust floor's figures from its ``/floor`` answer: records per second from its first
    record to the last (start-up excluded) and from launch, and its CPU per record over the
    same span as the first: per record, as a share of one CPU, and the seconds it was runnable
    but waiting for a CPU (other processes' load)."""
    first, done, records = tally["first"], tally["done"], tally["expected"]
    if not done:
        return {
            "complete": False,
            "counted": tally["counted"],
            "processing_s": None,
            "events_per_second": 0.0,
            "events_per_second_from_launch": 0.0,
            "cpu_us_per_event": None,
            "cpu_share": None,
            "runqueue_wait_s": None,
        }
    seconds, cpu = done["wall"] - first["wall"], done["cpu"] - first["cpu"]
    waited = (
        None if None in (done["waiting"], first["waiting"]) else done["waiting"] - first["waiting"]
    )
    return {
        "complete": True,
        "counted": tally["counted"],
        "first_after_launch_s": round(first["wall"] - launched_wall, 2),
        "processing_s": round(seconds, 3),
        "events_per_second": records / seconds if seconds > 0 else 0.0,
        "events_per_second_from_launch": records / (done["wall"] - launched_wall),
        "cpu_s": round(cpu, 3),
        "cpu_us_per_event": cpu / records * 1e6,
        "cpu_share": cpu / seconds if seconds > 0 else None,
        "runqueue_wait_s": None if waited is None else round(waited, 3),
    }


def floor_run(
    stack: Stack, settings: Settings, plan: StreamPlan, variant: str, name: str
) -> dict[str, Any]:
    """Start a Faust floor on the pre-loaded prefix; wait until it counted every record."""
    launched_wall, launched = time.time(), time.monotonic()
    floor, port = stack.start_worker(
        settings, name, ("bench.faust_floor", variant, str(plan.records))
    )
    while True:
        if not floor.alive:
            raise RuntimeError(f"{name} exited; log {floor.log}:\n{floor.log_tail()}")
        status, body = http_get(f"http://{LOOPBACK}:{port}{FLOOR_PAGE}", timeout=10)
        if status != 200:
            raise RuntimeError(f"{name} answered {status} on {FLOOR_PAGE}; log {floor.log}")
        tally = json.loads(body)
        if tally["done"] or time.monotonic() - launched >= plan.timeout:
            break
        time.sleep(POLL_SECONDS)
    cpu = _cpu_seconds(floor.process.pid)
    floor.stop(WORKER_STOP_SECONDS)
    return {**floor_figures(tally, launched_wall), "cpu_s_from_launch": cpu}


def faust_floor(
    stack: Stack, settings: Settings, plan: StreamPlan, r: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Each variant of the Faust floor, one after the other; the faster is the floor."""
    found: dict[str, Any] = {}
    for variant in FLOOR_VARIANTS:
        found[variant] = run = floor_run(stack, settings, plan, variant, f"floor-{variant}-s{r}")
        progress(
            f"round {r + 1}: Faust floor ({variant}) "
            + (
                f"{run['events_per_second']:,.0f} events/s, "
                f"{run['cpu_us_per_event']:.0f} us CPU per record"
                if run["complete"]
                else f"NOT complete after {plan.timeout:.0f}s: {run['counted']:,} counted"
            )
        )
    return {
        **found,
        "complete": all(run["complete"] for run in found.values()),
        "events_per_second": max(run["events_per_second"] for run in found.values()),
    }


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _sum_counts(port: int, programs: int) -> int:
    """The sum of every program's all-time count, as the worker's web view answers it."""
    total = 0
    for program in bodies.program_ids(programs):
        status, body = http_get(
            f"http://{LOOPBACK}:{port}/rpm-programs/{program}/device-orders", timeout=10
        )
        if status != 200:
            raise RuntimeError(f"web view answered {status} for program {program}")
        total += json.loads(body)["all_time"]
    return total


def run(stack: Stack, plan: StreamPlan, progress: Callable[[str], None]) -> dict[str, Any]:
    """``plan.rounds`` rounds: pre-load, raw ceiling, Faust floor, worker."""
    fingerprint_key = stack.settings("k").fingerprint_key
    routed = _routed(plan, seed=1, fingerprint_key=fingerprint_key)
    rounds = []
    profiled_round = None
    for r in range(plan.rounds + (1 if plan.profile_dir else 0)):
        profile_to = None
        if r == plan.rounds and plan.profile_dir:
            profile_to = plan.profile_dir / f"worker-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.txt"
            progress("one more round, profiled with py-spy (not in the medians)")
        settings = stack.provision(stack.settings(f"s{r}"))
        seconds = preload(settings, routed)
        progress(
            f"round {r + 1}: pre-loaded {plan.records:,} device orders over "
            f"{plan.programs} programs in {seconds:.1f}s ({settings.topic_prefix})"
        )
        ceiling = raw_ceiling(settings, plan.records, plan.timeout)
        agents_ceiling = raw_ceiling(settings, plan.records, plan.timeout, agents_decoder=True)
        progress(
            f"round {r + 1}: raw consumer + AvroDeserializer "
            f"{ceiling['events_per_second']:,.0f} events/s; + the agents' decoder "
            f"{agents_ceiling['events_per_second']:,.0f} events/s"
        )
        floor = faust_floor(stack, settings, plan, r, progress)
        worker = worker_run(stack, settings, plan, f"worker-s{r}", progress, profile_to)
        ratio = _ratio(worker["events_per_second"], ceiling["events_per_second"])
        agents_ratio = _ratio(worker["events_per_second"], agents_ceiling["events_per_second"])
        floor_ratio = _ratio(worker["events_per_second"], floor["events_per_second"])
        floor_raw_ratio = _ratio(floor["events_per_second"], ceiling["events_per_second"])
        progress(
            f"round {r + 1}: worker {worker['events_per_second']:,.0f} events/s "
            f"(processing {worker['processing_s']:.1f}s; "
            f"{worker['events_per_second_from_launch']:,.0f}/s from launch; "
            f"cpu {worker['worker_cpu_s']}s), counts {worker['counted_all_time']} of "
            f"{plan.records}, ratio {ratio:.3f} ({agents_ratio:.3f} to the agents' decoder), "
            f"{floor_ratio:.3f} to the Faust floor; Faust floor / raw {floor_raw_ratio:.3f}"
        )
        outcome = {
            "topic_prefix": settings.topic_prefix,
            "preload_s": round(seconds, 2),
            "raw": ceiling,
            "raw_agents_decoder": agents_ceiling,
            "faust_floor": floor,
            "worker": worker,
            "ratio": ratio,
            "ratio_agents_decoder": agents_ratio,
            "ratio_faust_floor": floor_ratio,
            "ratio_faust_floor_to_raw": floor_raw_ratio,
        }
        if profile_to:
            profiled_round = outcome
        else:
            rounds.append(outcome)
    return {
        "rounds": rounds,
        "profiled_round": profiled_round,
        "summary": {
            "records": plan.records,
            "programs": plan.programs,
            "rounds": plan.rounds,
            "all_complete": all(r["worker"]["complete"] for r in rounds),
            "counts_match": all(r["worker"]["counts_match"] for r in rounds),
            "worker_events_per_second": median(r["worker"]["events_per_second"] for r in rounds),
            "worker_events_per_second_from_launch": median(
                r["worker"]["events_per_second_from_launch"] for r in rounds
            ),
            "raw_events_per_second": median(r["raw"]["events_per_second"] for r in rounds),
            "ratio": median(r["ratio"] for r in rounds),
            "raw_agents_decoder_events_per_second": median(
                r["raw_agents_decoder"]["events_per_second"] for r in rounds
            ),
            "ratio_agents_decoder": median(r["ratio_agents_decoder"] for r in rounds),
            "faust_floor_complete": all(r["faust_floor"]["complete"] for r in rounds),
            "faust_floor_events_per_second": median(
                r["faust_floor"]["events_per_second"] for r in rounds
            ),
            **{
                f"faust_floor_{variant}_{figure}": median(
                    r["faust_floor"][variant][figure] or 0.0 for r in rounds
                )
                for variant in FLOOR_VARIANTS
                for figure in (
                    "events_per_second",
                    "cpu_us_per_event",
                    "cpu_share",
                    "runqueue_wait_s",
                )
            },
            "ratio_faust_floor": median(r["ratio_faust_floor"] for r in rounds),
            "ratio_faust_floor_to_raw": median(r["ratio_faust_floor_to_raw"] for r in rounds),
            "events_per_worker_cpu_s": median(
                r["worker"]["events_per_worker_cpu_s"] or 0.0 for r in rounds
            ),
            **{
                f"worker_{figure}": median(
                    r["worker"].get(f"worker_{figure}") or 0.0 for r in rounds
                )
                for figure in ("cpu_share", "runqueue_wait_s")
            },
            "memory": {"worker": memory.largest([r["worker"]["memory"] for r in rounds])},
        },
    }
