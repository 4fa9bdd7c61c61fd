from prometheus_client import CollectorRegistry, Counter

from streams.metrics import CachedLabels


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
