"""Verify first: a request is Slack's only if its signature and timestamp say so.

Checked on the raw bytes before anything parses the body (api.slack.com/authentication/
verifying-requests-from-slack): base string ``v0:{timestamp}:{body}``, ``v0=`` + hex
HMAC-SHA256 with the signing secret, compared in constant time, the timestamp within 5 minutes.
Every way of failing is the same answer to the caller (401, empty body), so a probe learns
nothing, and the body is never logged.

During a rotation the previous secret is accepted too (``SLACK_SIGNING_SECRET_PREVIOUS``), so a
replica not yet restarted and one already restarted answer the same.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence

MAX_AGE_SECONDS = 300
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"


class RequestVerifier:
    """``verify(body, headers)`` is True only for a request Slack signed in the last 5 minutes."""

    def __init__(self, secrets: Sequence[str], clock: Callable[[], float] = time.time) -> None:
        """``secrets``: the current signing secret first, then any still accepted."""
        self._keys = tuple(secret.encode() for secret in secrets)
        self._clock = clock

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bool:
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        signature = headers.get(SIGNATURE_HEADER, "")
        # NOTE: int() takes "+12", " 12" and "1_2"; Slack sends plain digits, so only those pass.
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return False
        if abs(self._clock() - int(timestamp)) > MAX_AGE_SECONDS:
            return False
        if not signature.startswith("v0=") or not signature.isascii():
            return False
        base = b"v0:" + timestamp.encode() + b":" + body
        return any(
            hmac.compare_digest("v0=" + hmac.new(key, base, hashlib.sha256).hexdigest(), signature)
            for key in self._keys
        )
