"""``docink replay`` against the bridge app served over real HTTP (a recording publisher: no
broker): outcomes by line number, retries honoring Retry-After, giving up, no secrets shown."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from confluent_kafka.schema_registry import SchemaRegistryClient
from werkzeug.serving import make_server

from bridge.app import create_app
from bridge.cli import main
from bridge.errors import BrokerUnavailable
from bridge.publisher import Delivered, Headers
from bridge.settings import Settings
from devstack import free_port
from tests import SECRET
from tests.fakes import RecordingPublisher


@dataclass
class FlakyPublisher(RecordingPublisher):
    """Refuses its first ``failures`` publishes as a broker outage would."""

    failures: int = 0

    def publish(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> Delivered:
        if self.failures:
            self.failures -= 1
            raise BrokerUnavailable("Kafka did not accept the event")
        return super().publish(topic, key, value, headers)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, retry_after_seconds=1)


@pytest.fixture
def flaky() -> FlakyPublisher:
    return FlakyPublisher()


@pytest.fixture
def url(settings: Settings, registry: SchemaRegistryClient, flaky: FlakyPublisher) -> Iterator[str]:
    """The bridge app served on loopback by werkzeug, one thread per request."""
    app = create_app(settings, publisher=flaky, registry=registry)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/webhooks/docink"
    server.shutdown()
    thread.join()


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _replay(*args: str, secret: str = SECRET) -> Any:
    return CliRunner().invoke(main, ["replay", *args], env={"DOCINK_SHARED_SECRET": secret})


def _nested(depth: int) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(depth):
        body = {"a": body}
    return {"event_name": "device_order_created", **body}


def test_replay_reports_every_outcome_by_line_number(url, tmp_path, device_order_created):
    unfitting = copy.deepcopy(device_order_created)
    unfitting["payload"]["uuid"] = "not a number"
    lines = [
        json.dumps(device_order_created),  # 1 accepted
        "",  # 2 skipped
        "{not json",  # 3 invalid
        json.dumps(device_order_created),  # 4 duplicate of line 1
        json.dumps({**device_order_created, "event_name": "chart_signed"}),  # 5 unknown
        json.dumps(unfitting),  # 6 dead-lettered
        "[1, 2]",  # 7 invalid: not an object
        json.dumps(_nested(40)),  # 8 rejected: nests too deep
    ]
    result = _replay(
        str(_write(tmp_path / "hooks.jsonl", lines)), "--url", url, "--concurrency", "1"
    )

    assert result.exit_code == 1, result.output
    report = result.stdout.splitlines()
    assert report[:8] == [
        "accepted            1",
        "duplicate           1",
        "dead_lettered       1  lines 6",
        "unknown             1  lines 5",
        "rejected            1  lines 8",
        "failed              0",
        "invalid             2  lines 3, 7",
        "retries             0",
    ]
    assert "      2  invalid: not a JSON object" in report
    assert "      1  rejected: HTTP 400 invalid_body" in report
    assert "      1  dead_lettered: payload.uuid: expected integer, got string" in report
    assert "Error: 3 of 7 lines were not replayed" in result.stderr
    for private in (SECRET, str(device_order_created["payload"]["patient_uuid"]), "not json"):
        assert private not in result.output


def test_replay_retries_503_honoring_retry_after(url, tmp_path, flaky, device_order_created):
    flaky.failures = 1  # the bridge answers 503 with Retry-After: 1, then 202
    started = time.monotonic()
    result = _replay(
        str(_write(tmp_path / "one.jsonl", [json.dumps(device_order_created)])), "--url", url
    )

    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 1
    assert "accepted            1" in result.stdout
    assert "retries             1" in result.stdout
    assert len(flaky.published) == 1


def test_replay_gives_up_and_writes_the_failed_lines(url, tmp_path, flaky, device_order_created):
    flaky.failures = 10**6
    lines = [json.dumps({**device_order_created, "event_time": f"2021-0{n}-01"}) for n in (1, 2)]
    failed = tmp_path / "failed.jsonl"
    result = _replay(
        str(_write(tmp_path / "hooks.jsonl", ["", *lines])),
        *("--url", url, "--attempts", "2", "--failed-out", str(failed)),
    )

    assert result.exit_code == 1, result.output
    assert "failed              2  lines 2, 3" in result.stdout
    assert "      2  failed: HTTP 503 broker_unavailable" in result.stdout
    assert failed.read_text().splitlines() == lines


def test_replay_fails_lines_when_nothing_listens(tmp_path, device_order_created, caplog):
    url = f"http://127.0.0.1:{free_port()}/webhooks/docink/{SECRET}"  # the secret in the path
    hooks = _write(tmp_path / "one.jsonl", [json.dumps(device_order_created)])
    result = _replay(str(hooks), "--url", url, "--attempts", "2")

    assert result.exit_code == 1
    assert "failed              1  lines 1" in result.stdout
    assert "failed: NewConnectionError" in result.stdout
    assert SECRET not in result.output + caplog.text  # urllib3 logs retries with the URL


def test_replay_refused_with_a_wrong_secret(url, tmp_path, device_order_created):
    hooks = _write(tmp_path / "one.jsonl", [json.dumps(device_order_created)])
    result = _replay(str(hooks), "--url", url, secret="not-the-secret")

    assert result.exit_code == 1
    assert "rejected: HTTP 401 unauthorized" in result.stdout
    assert "not-the-secret" not in result.output


def test_replay_needs_a_secret(tmp_path):
    result = _replay(str(_write(tmp_path / "empty.jsonl", [])), secret="")
    assert result.exit_code == 2
    assert "no secret" in result.output


def test_replay_needs_an_http_url(tmp_path):
    result = _replay(str(_write(tmp_path / "empty.jsonl", [])), "--url", f"ftp://h/{SECRET}")
    assert result.exit_code == 2
    assert "must be an http:// or https:// URL" in result.output
    assert SECRET not in result.output
