import base64
import json

from bridge.redaction import REDACTED, redact, token_facts

KEY = b"k"


def _segment(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _jwt(claims: dict) -> str:
    return f"{_segment({'alg': 'RS256', 'typ': 'JWT'})}.{_segment(claims)}.c2lnbmF0dXJl"


def test_fixture_token_is_a_jwt_expiring_in_2051(bot_installation):
    facts = token_facts(bot_installation["payload"]["token"], KEY)
    assert facts.present and facts.is_jwt
    assert facts.expires_at.year == 2051
    assert len(facts.fingerprint) == 16
    assert facts.fingerprint not in bot_installation["payload"]["token"]


def test_missing_null_and_empty_tokens_are_absent():
    for token in (None, ""):
        facts = token_facts(token, KEY)
        assert not facts.present and facts.fingerprint is None and not facts.is_jwt


def test_malformed_tokens_are_present_but_not_jwt():
    for token in ("not-a-jwt", "a.b.c", "x..y", 12345, _jwt({"exp": 1}).replace(".", "", 1)):
        facts = token_facts(token, KEY)
        assert facts.present and not facts.is_jwt and facts.expires_at is None


def test_expiry_is_read_without_verification():
    assert token_facts(_jwt({"exp": 0}), KEY).expires_at.year == 1970
    assert token_facts(_jwt({"sub": "x"}), KEY).expires_at is None
    assert token_facts(_jwt({"exp": 10**30}), KEY).expires_at is None


def test_fingerprint_is_keyed():
    token = _jwt({"exp": 1})
    assert token_facts(token, b"a").fingerprint != token_facts(token, b"b").fingerprint
    assert token_facts(token, b"a").fingerprint == token_facts(token, b"a").fingerprint


def test_redact_replaces_secret_keys_at_any_depth():
    value = {"a": {"Token": "t", "list": [{"access_token": "x", "ok": 1}]}, "password": None}
    assert redact(value) == {
        "a": {"Token": REDACTED, "list": [{"access_token": REDACTED, "ok": 1}]},
        "password": None,
    }
