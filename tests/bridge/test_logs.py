"""Log lines: JSON (or text) with the request id and event id; request ids in and out."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from bridge import logs
from bridge.errors import ConfigError
from bridge.request_ids import HEADER
from bridge.settings import Settings
from tests import SECRET

AUTH = {"Authorization": f"Bearer {SECRET}"}


@pytest.fixture
def captured(caplog) -> Iterator[io.StringIO]:
    """What the root logger writes, as ``configure_logging`` sets it up, at INFO."""
    caplog.set_level(logging.INFO)
    stream = io.StringIO()
    handler = logs.log_handler("json", stream)
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_request_lines_are_json_with_request_and_event_ids(
    captured, caplog, client, device_order_created
):
    caplog.set_level(logging.DEBUG)  # one line per published event, at DEBUG
    response = client.post(
        "/webhooks/docink", json=device_order_created, headers={**AUTH, HEADER: "req-42.a:b_c"}
    )
    assert response.status_code == 202
    assert response.headers[HEADER] == "req-42.a:b_c"
    [published] = [line for line in lines(captured) if line["message"].startswith("published")]
    assert published["request_id"] == "req-42.a:b_c"
    assert published["event_id"] == response.json["event_id"]
    assert published["level"] == "DEBUG" and published["logger"] == "bridge.ingest"
    assert isinstance(published["process"], int)
    assert published["timestamp"].endswith("+00:00")


def test_no_line_per_published_event_at_info(captured, client, device_order_created):
    response = client.post("/webhooks/docink", json=device_order_created, headers=AUTH)
    assert response.status_code == 202
    assert not [line for line in lines(captured) if line["message"].startswith("published")]


def test_ids_are_unbound_after_the_request(captured, client, device_order_created):
    client.post("/webhooks/docink", json=device_order_created, headers=AUTH)
    logging.getLogger("after").warning("between requests")
    assert "request_id" not in lines(captured)[-1] and "event_id" not in lines(captured)[-1]


@pytest.mark.parametrize(
    "given", [None, "", "x" * 65, "has space", "tab\tbed", "ünïcode", "a/b", "tok=1"]
)
def test_missing_or_odd_request_ids_are_replaced(client, given):
    headers = {} if given is None else {HEADER: given}
    answered = client.get("/healthz", headers=headers).headers[HEADER]
    assert answered != given and len(answered) == 32 and answered.isalnum()
    assert client.get("/healthz").headers[HEADER] != answered


def test_lines_from_other_threads_carry_no_ids(captured):
    """librdkafka logs from the poll thread: no request there, and no crash."""
    logs.request_id.set("on-the-test-thread")
    try:
        thread = threading.Thread(target=logging.getLogger("librdkafka").warning, args=("x",))
        thread.start()
        thread.join()
    finally:
        logs.request_id.set(None)
    [line] = lines(captured)
    assert line["logger"] == "librdkafka" and "request_id" not in line


def test_text_format_appends_the_ids():
    stream = io.StringIO()
    handler = logs.log_handler("text", stream)
    record = logging.LogRecord("bridge.x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    token = logs.event_id.set("e-1")
    try:
        handler.handle(record)
    finally:
        logs.event_id.reset(token)
    expected = f"INFO {record.process} bridge.x hello you event_id=e-1"
    assert stream.getvalue().rstrip().endswith(expected)


def test_exceptions_stay_on_one_json_line():
    stream = io.StringIO()
    logger = logging.getLogger("test_logs.one_line")
    logger.addHandler(logs.log_handler("json", stream))
    logger.propagate = False
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    [line] = lines(stream)
    assert line["message"] == "failed" and "ValueError" in line["exc_info"]


def test_log_format_setting():
    assert Settings.from_env({}).log_format == "json"
    assert Settings.from_env({"DOCINK_LOG_FORMAT": "TEXT"}).log_format == "text"
    with pytest.raises(ConfigError, match="DOCINK_LOG_FORMAT"):
        Settings.from_env({"DOCINK_LOG_FORMAT": "xml"})
