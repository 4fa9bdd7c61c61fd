"""Signs test webhooks the way a Standard Webhooks sender does."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SIGNING_SECRET = "whsec_" + base64.b64encode(b"signing-key-for-tests-0123456789").decode()
OLD_SIGNING_SECRET = "whsec_" + base64.b64encode(b"older-signing-key-for-tests-9876").decode()


def signed(
    body: bytes, secret: str = SIGNING_SECRET, msg_id: str = "msg_1", at: float | None = None
):
    """The three ``webhook-*`` headers of ``body`` signed with ``secret``."""
    stamp = int(time.time() if at is None else at)
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(stamp, UTC), body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature,
    }
