"""parse_body refuses what later steps cannot carry, whichever way a body holds it."""

from __future__ import annotations

import json

import pytest

from bridge.errors import InvalidBody
from bridge.webhooks import MAX_NESTING, parse_body


def _nested(depth: int) -> bytes:
    """An object ``depth`` levels deep, the body itself being the first level."""
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


def test_nesting_up_to_the_limit_passes():
    assert parse_body(_nested(MAX_NESTING))


def test_nesting_past_the_limit_is_refused():
    with pytest.raises(InvalidBody, match="nests deeper"):
        parse_body(_nested(MAX_NESTING + 1))


def test_many_shallow_brackets_pass():
    body = json.dumps({"items": [{"n": n} for n in range(200)]}).encode()
    assert len(parse_body(body)["items"]) == 200


@pytest.mark.parametrize(
    "raw",
    [
        b'{"event_name": "\\ud800"}',  # an escaped lone surrogate, in a value
        b'{"\\uDFFF": 1}',  # in a key, upper case
        # UTF-16: no escape at all, the lone surrogate is in the encoding itself
        '{"event_name": "\ud800"}'.encode("utf-16-le", "surrogatepass"),
        '{"event_name": "\udc00"}'.encode("utf-32", "surrogatepass"),
    ],
)
def test_lone_surrogates_are_refused(raw):
    with pytest.raises(InvalidBody, match="not valid Unicode"):
        parse_body(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "\\ud83d\\ude00"}',  # an escaped pair is one valid character
        '{"name": "caf\u00e9 \U0001f600"}'.encode(),
        '{"name": "caf\u00e9"}'.encode("utf-16"),
    ],
)
def test_valid_unicode_passes(raw):
    assert parse_body(raw)["name"]
