"""Realistic DocInk bodies from the shared fixtures, each made unique per request.

A template is a fixture's JSON on one line with ``@N@`` (a number unique per request: the order
uuid, or the installing user's uuid) and ``@ORG@`` (one of a few hundred organizations) in place
of numbers, so every request has its own event id and the records spread over partitions. The
wrk Lua script and the Python load generators render the same templates.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

N, ORG = "@N@", "@ORG@"
_N_SENTINEL, _ORG_SENTINEL = "__bench_n__", "__bench_org__"
ORG_BASE = 100_000_000
ORGS = 500
PROGRAM_BASE = 700_000_000
DEVICE_ORDER = "device_order_created.json"
BOT_INSTALLATION = "bot-installation.json"


def fixtures_dir() -> Path:
    """``DOCINK_BENCH_FIXTURES``, else ``shared/fixtures/docink`` beside the checkout."""
    configured = os.environ.get("DOCINK_BENCH_FIXTURES")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "docink"


def load_fixture(name: str, directory: Path | None = None) -> dict[str, Any]:
    path = (directory or fixtures_dir()) / name
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SystemExit(
            f"fixture {path} not found; set DOCINK_BENCH_FIXTURES to the folder of the "
            f"DocInk fixtures ({DEVICE_ORDER}, {BOT_INSTALLATION})"
        ) from None


def _template(body: dict[str, Any]) -> str:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    text = text.replace(f'"{_N_SENTINEL}"', N).replace(f'"{_ORG_SENTINEL}"', ORG)
    assert "\n" not in text and "\t" not in text
    return text


def device_order_template(directory: Path | None = None, own_program: bool = False) -> str:
    """A device order; with ``own_program`` its RPM program uuid is ``@N@`` too, so each order
    is the first of its program and shows as a new key on the counts topic."""
    body = load_fixture(DEVICE_ORDER, directory)
    body["org_uuid"] = _ORG_SENTINEL
    body["payload"]["uuid"] = _N_SENTINEL
    if own_program:
        body["payload"]["patient_rpm_program_uuid"] = _N_SENTINEL
    return _template(body)


def bot_installation_template(directory: Path | None = None, token: bool = True) -> str:
    """A bot installation; without ``token`` it raises a ``bot_install_without_token`` alert."""
    body = load_fixture(BOT_INSTALLATION, directory)
    body["org_uuid"] = _ORG_SENTINEL
    body["payload"]["org_uuid"] = _ORG_SENTINEL
    body["payload"]["installed_by"]["uuid"] = _N_SENTINEL
    if not token:
        del body["payload"]["token"]
    return _template(body)


@dataclass(frozen=True)
class Mix:
    """Weighted templates: ``schedule`` lists template indexes, one slot per request."""

    templates: tuple[str, ...]
    schedule: tuple[int, ...]

    @classmethod
    def webhooks(cls, bot_installations_per_10: int, directory: Path | None = None) -> Mix:
        """Device orders, with ``bot_installations_per_10`` bot installations in every 10."""
        templates = (device_order_template(directory), bot_installation_template(directory))
        return cls(templates, _schedule(bot_installations_per_10))

    @classmethod
    def traced(cls, bot_installations_per_10: int, directory: Path | None = None) -> Mix:
        """As ``webhooks``, but each device order has a program of its own and no bot
        installation has a token: each webhook shows downstream as a record of its own (a new
        count key, an alert)."""
        templates = (
            device_order_template(directory, own_program=True),
            bot_installation_template(directory, token=False),
        )
        return cls(templates, _schedule(bot_installations_per_10))

    def is_bot_installation(self, n: int) -> bool:
        return self.schedule[n % len(self.schedule)] == 1

    def render(self, n: int) -> bytes:
        """The ``n``-th body of the mix (as the Lua script renders it)."""
        template = self.templates[self.schedule[n % len(self.schedule)]]
        return render(template, n)

    def write_templates(self, path: Path) -> Path:
        """One line per schedule slot, for the wrk script."""
        path.write_text("".join(self.templates[i] + "\n" for i in self.schedule))
        return path


def _schedule(bot_installations_per_10: int) -> tuple[int, ...]:
    """Ten slots, the bot installations (1) spread among the device orders (0)."""
    bots = max(0, min(10, bot_installations_per_10))
    return tuple(1 if bots and (i * bots) % 10 < bots else 0 for i in range(10))


def render(template: str, n: int) -> bytes:
    return template.replace(N, str(n)).replace(ORG, str(ORG_BASE + n % ORGS)).encode()


def device_orders(
    count: int, programs: int, seed: int, directory: Path | None = None
) -> list[dict[str, Any]]:
    """``count`` device-order-created bodies: distinct orders over ``programs`` RPM programs and
    a few hundred organizations, created over the last 30 days."""
    base = load_fixture(DEVICE_ORDER, directory)
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    programs_ = program_ids(programs)
    now = datetime.now(UTC).replace(microsecond=0)
    bodies = []
    for i in range(count):
        created = (now - timedelta(seconds=rng.randrange(30 * 86400))).isoformat()
        payload = {
            **base["payload"],
            "uuid": 1_000_000_000 + seed % 1000 * 1_000_000 + i,
            "patient_uuid": 1_600_000_000 + rng.randrange(1_000_000),
            "device_uuid": 400_000_000 + rng.randrange(1_000_000),
            "created_at": created,
            "updated_at": created,
            "patient_rpm_program_uuid": programs_[i % programs],
        }
        bodies.append(
            {**base, "org_uuid": ORG_BASE + i % ORGS, "event_time": created, "payload": payload}
        )
    return bodies


def program_ids(programs: int) -> list[int]:
    """The RPM program uuids that ``device_orders`` spreads orders over."""
    return [PROGRAM_BASE + i for i in range(programs)]
