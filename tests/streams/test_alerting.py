import base64
import json
from datetime import UTC, datetime

import pytest

from bridge.routing import route
from streams.alerting import Kind, token_alert, unknown_alert_due

NOW = datetime(2026, 1, 1, tzinfo=UTC)
HOUR_MS = 3_600_000


def _jwt(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def alert_for(bot_installation, token):
    if token == "missing":
        del bot_installation["payload"]["token"]
    else:
        bot_installation["payload"]["token"] = token
    return token_alert(route(bot_installation, NOW, b"k").record, "Jakes dev", NOW)


@pytest.mark.parametrize("token", ["missing", None, ""])
def test_install_without_token(bot_installation, token):
    alert = alert_for(bot_installation, token)
    assert alert["kind"] == Kind.WITHOUT_TOKEN == "bot_install_without_token"
    assert alert["org_uuid"] == 721192134 and alert["org_name"] == "Jakes dev"


def test_malformed_token(bot_installation):
    assert alert_for(bot_installation, "opaque-token")["kind"] == "bot_token_malformed"


def test_token_expired_at_event_time(bot_installation):
    # The event happened in 2021; this token expired in 2020.
    alert = alert_for(bot_installation, _jwt({"exp": 1_577_836_800}))
    assert alert["kind"] == "bot_token_expired"
    assert "2020-01-01" in alert["detail"]


def test_good_token_raises_nothing(bot_installation):
    assert alert_for(bot_installation, bot_installation["payload"]["token"]) is None


def test_alert_never_carries_the_token(bot_installation):
    token = "not.a-jwt"
    assert token not in repr(alert_for(bot_installation, token))


def test_unknown_alerts_at_most_hourly():
    assert unknown_alert_due(None, 0)
    assert not unknown_alert_due(0, HOUR_MS - 1)
    assert unknown_alert_due(0, HOUR_MS)
