"""What the bridge's Prometheus metrics counted during a test (they are process-wide)."""

from __future__ import annotations

from prometheus_client import REGISTRY

Sample = tuple[str, tuple[tuple[str, str], ...]]


def _samples(prefix: str) -> dict[Sample, float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for metric in REGISTRY.collect()
        if metric.name.startswith(prefix)
        for sample in metric.samples
        if not sample.name.endswith("_created")
    }


class Meter:
    """Snapshots the samples named ``prefix*`` now; ``changes()`` tells what moved since."""

    def __init__(self, prefix: str = "docink_bridge_") -> None:
        self.prefix = prefix
        self.before = _samples(prefix)

    def changes(self, name: str) -> dict[tuple[str, ...], float]:
        """Label values -> increase of the samples called ``name`` that changed."""
        after = _samples(self.prefix)
        return {
            tuple(value for _, value in labels): value - self.before.get((sample, labels), 0.0)
            for (sample, labels), value in after.items()
            if sample == name and value != self.before.get((sample, labels), 0.0)
        }
