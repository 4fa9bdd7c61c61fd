"""Rate limits (429 with Retry-After), the in-flight bound (503 overloaded) and rotation of the
shared secret."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

import pytest

from bridge.app import create_app
from bridge.errors import ConfigError, Overloaded
from bridge.in_flight import SLOT_WAIT_SECONDS, InFlightBound
from bridge.publisher import Delivered, Headers
from bridge.rate_limits import RequestRateLimits
from bridge.settings import Settings
from tests import SECRET

AUTH = {"Authorization": f"Bearer {SECRET}"}


def order(body: dict, org: int, n: int) -> dict:
    return {**body, "org_uuid": org, "payload": {**body["payload"], "uuid": n}}


def test_global_rate_limit_is_429_with_retry_after(
    settings, registry, publisher, device_order_created
):
    limited = replace(settings, rate_limit_global="3/minute", rate_limit_per_org=None)
    client = create_app(limited, publisher=publisher, registry=registry).test_client()
    statuses = [
        client.post("/webhooks/docink", json=order(device_order_created, 1, n), headers=AUTH)
        for n in range(5)
    ]
    assert [r.status_code for r in statuses] == [202, 202, 202, 429, 429]
    refused = statuses[-1]
    assert refused.json["error"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert len(publisher.published) == 3


def test_global_limit_is_checked_before_authentication(settings, registry, publisher):
    limited = replace(settings, rate_limit_global="1/minute")
    client = create_app(limited, publisher=publisher, registry=registry).test_client()
    assert client.post("/webhooks/docink", json={}).status_code == 401
    assert client.post("/webhooks/docink", json={}, headers=AUTH).status_code == 429


def test_per_organization_limit_spares_other_organizations(
    settings, registry, publisher, device_order_created
):
    limited = replace(settings, rate_limit_global=None, rate_limit_per_org="2/minute")
    client = create_app(limited, publisher=publisher, registry=registry).test_client()

    def post(org: int, n: int) -> int:
        body = order(device_order_created, org, n)
        return client.post("/webhooks/docink", json=body, headers=AUTH).status_code

    assert [post(7, n) for n in range(3)] == [202, 202, 429]
    assert post(8, 10) == 202
    response = client.post(
        "/webhooks/docink", json=order(device_order_created, 7, 99), headers=AUTH
    )
    assert response.json == {
        "error": "rate_limited",
        "message": "too many requests for this organization",
    }


@dataclass
class BlockingPublisher:
    """Holds every publish until ``release`` is set: a broker that is slow to confirm."""

    release: threading.Event = field(default_factory=threading.Event)
    waiting: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def publish(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> Delivered:
        self.waiting.release()
        self.release.wait(10)
        return Delivered(topic, 0, 0)

    def ready(self, timeout: float) -> bool:
        return True

    def close(self) -> None:
        self.release.set()


def test_requests_beyond_the_in_flight_bound_get_503_after_a_short_wait(
    settings, registry, device_order_created
):
    slow = BlockingPublisher()
    app = create_app(replace(settings, max_in_flight=2), publisher=slow, registry=registry)
    answers: list[int] = []

    def post(n: int) -> None:
        body = order(device_order_created, 1, n)
        answers.append(
            app.test_client().post("/webhooks/docink", json=body, headers=AUTH).status_code
        )

    holders = [threading.Thread(target=post, args=(n,)) for n in range(2)]
    for holder in holders:
        holder.start()
    for _ in holders:
        assert slow.waiting.acquire(timeout=5)
    started = time.monotonic()
    response = app.test_client().post(
        "/webhooks/docink", json=order(device_order_created, 1, 3), headers=AUTH
    )
    assert SLOT_WAIT_SECONDS <= time.monotonic() - started < 1
    assert response.status_code == 503
    assert response.json["error"] == "overloaded"
    assert response.headers["Retry-After"] == str(settings.retry_after_seconds)
    slow.release.set()
    for holder in holders:
        holder.join(10)
    assert answers == [202, 202]


def test_a_slot_freed_within_the_wait_is_taken():
    bound = InFlightBound(1, wait_seconds=5)
    taken = threading.Event()
    done = threading.Event()

    def hold() -> None:
        with bound.slot():
            taken.set()
            time.sleep(0.1)
        done.set()

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(5)
    with bound.slot():  # waits for the holder's slot rather than being refused
        assert done.is_set()
    holder.join(5)


def test_a_slot_not_freed_within_the_wait_is_refused():
    bound = InFlightBound(1, wait_seconds=0.01)
    with bound.slot(), pytest.raises(Overloaded), bound.slot():
        pass


def test_in_flight_slots_are_returned_after_errors():
    bound = InFlightBound(1)
    with pytest.raises(RuntimeError), bound.slot():
        raise RuntimeError("publish failed")
    with bound.slot():
        pass


def test_unparsable_rate_is_a_config_error():
    with pytest.raises(ConfigError, match="DOCINK_RATE_LIMIT_PER_ORG"):
        RequestRateLimits("10/second", "lots")


def test_limits_are_read_from_the_environment():
    settings = Settings.from_env(
        {
            "DOCINK_RATE_LIMIT_GLOBAL": "off",
            "DOCINK_RATE_LIMIT_PER_ORG": "5/second",
            "DOCINK_MAX_IN_FLIGHT": "4",
            "DOCINK_DEDUP_WINDOW_SECONDS": "60",
        }
    )
    assert settings.rate_limit_global is None
    assert settings.rate_limit_per_org == "5/second"
    assert settings.max_in_flight == 4
    assert settings.dedup_window_seconds == 60
    assert Settings.from_env({}).rate_limit_global == "2000/second"


def test_an_in_flight_bound_below_one_refuses_to_start():
    with pytest.raises(ConfigError, match="DOCINK_MAX_IN_FLIGHT"):
        Settings(shared_secret="s", max_in_flight=0).require_auth()


@pytest.mark.parametrize("offered", ["new-secret", "old-secret"])
def test_every_configured_shared_secret_authenticates(
    registry, publisher, device_order_created, offered
):
    rotating = Settings(shared_secret="new-secret, old-secret")
    client = create_app(rotating, publisher=publisher, registry=registry).test_client()
    auth = {"Authorization": f"Bearer {offered}"}
    assert (
        client.post("/webhooks/docink", json=device_order_created, headers=auth).status_code == 202
    )
    assert client.post(f"/webhooks/docink/{offered}", json={}).status_code != 401
    assert client.post("/webhooks/docink/new-secret,old-secret", json={}).status_code == 401


def test_the_fingerprint_key_follows_the_current_secret_only():
    assert (
        Settings(shared_secret="a,b").fingerprint_key == Settings(shared_secret="a").fingerprint_key
    )
