"""Request rate limits, global and per organization, kept in this worker process's memory."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from bridge.errors import ConfigError, RateLimited
from bridge.settings import Settings

GLOBAL_KEY = "global"
NO_ORG_KEY = "no-org"


def _parse(setting: str, value: str | None) -> RateLimitItem | None:
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError:
        raise ConfigError(f"{setting} is not a rate such as 200/second: {value!r}") from None


class RequestRateLimits:
    """A limiter for all requests, and one for each organization's requests.

    Sliding window counters (the current and the previous window's count, weighted) rather than
    a moving window: nearly as smooth, without a list of timestamps per key to insert into and
    expire (the moving window cost ~15% of the bridge's CPU at 1,000 requests/s).
    """

    def __init__(self, global_limit: str | None, per_org_limit: str | None) -> None:
        self._global = _parse("DOCINK_RATE_LIMIT_GLOBAL", global_limit)
        self._per_org = _parse("DOCINK_RATE_LIMIT_PER_ORG", per_org_limit)
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestRateLimits:
        return cls(settings.rate_limit_global, settings.rate_limit_per_org)

    def check_global(self) -> None:
        """Count a request; ``RateLimited`` when this process has had too many."""
        self._hit(self._global, GLOBAL_KEY, "too many requests")

    def check_org(self, org_uuid: int | None) -> None:
        """Count a request of ``org_uuid``; ``RateLimited`` when it has sent too many."""
        key = NO_ORG_KEY if org_uuid is None else f"org:{org_uuid}"
        self._hit(self._per_org, key, "too many requests for this organization")

    def _hit(self, item: RateLimitItem | None, key: str, message: str) -> None:
        if item is None or self._limiter.hit(item, key):
            return
        reset_at = self._limiter.get_window_stats(item, key).reset_time
        raise RateLimited(message, retry_after=max(1, math.ceil(reset_at - time.time())))
