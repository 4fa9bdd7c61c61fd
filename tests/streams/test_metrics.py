from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.types import TP
from prometheus_client import CollectorRegistry, Counter

from streams.metrics import CachedLabels, Monitor, cached_metrics


def test_cached_labels_count_into_one_series_each():
    registry = CollectorRegistry()
    cached = CachedLabels(Counter("sent", "sent", ["topic"], registry=registry))
    cached.labels(topic="a").inc()
    cached.labels(topic="a").inc()
    cached.labels("b").inc()
    assert cached.labels(topic="a") is cached.labels(topic="a")
    assert registry.get_sample_value("sent_total", {"topic": "a"}) == 2
    assert registry.get_sample_value("sent_total", {"topic": "b"}) == 1
    assert cached.describe()[0].name == "sent"  # everything else goes to the metric


class FakeStream:
    shortlabel = "Stream: Topic: docink.device-order-created"

    def __init__(self) -> None:
        self.task_owner = FakeMessage()  # (any object Faust's monitor can refer to weakly)


class FakeMessage:
    time_in = None


def feed(monitor, events: list[tuple[TP, int]], stream: FakeStream) -> None:
    """What Faust's consumer and streams tell a sensor about each message and event."""
    for tp, offset in events:
        message = FakeMessage()
        monitor.on_message_in(tp, offset, message)
        state = monitor.on_stream_event_in(tp, offset, stream, None)
        monitor.on_stream_event_out(tp, offset, stream, None, state)
        monitor.on_message_out(tp, offset, message)


def samples(registry: CollectorRegistry) -> dict:
    """Every sample but the latency's sum (wall-clock times) and the creation times."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in registry.collect()
        for sample in family.samples
        if not sample.name.endswith(("_created", "_ms_sum"))
        and not (sample.name.endswith("_bucket") and sample.labels.get("le") != "+Inf")
    }


def test_the_monitor_s_series_are_faust_s_prometheus_sensor_s_once_published():
    ours, faust_s = CollectorRegistry(), CollectorRegistry()
    monitor = Monitor(cached_metrics(FaustMetrics.create(ours, "docink_streams")))
    stock = PrometheusMonitor(FaustMetrics.create(faust_s, "docink_streams"))
    stream, stock_stream = FakeStream(), FakeStream()
    a, b = TP("docink.device-order-created", 0), TP("docink.bot-installation", 3)
    for batch in ([(a, 0), (a, 1), (b, 7)], [(a, 2)]):
        feed(monitor, batch, stream)
        feed(stock, batch, stock_stream)
        monitor.publish()
        monitor.publish()  # (twice: counts nothing twice)
        assert samples(ours) == samples(faust_s)
    assert ours.get_sample_value("docink_streams_messages_received_total") == 4
