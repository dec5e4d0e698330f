"""Signing what the bot hands to Slack and takes back: ``private_metadata`` and button values.

A sealed value is ``<mac>.<text>``: the MAC is HMAC-SHA256 over a purpose and the text, with a
key derived from the signing secret (so nothing new to configure). A rotated secret retires
every old seal once the previous secret is dropped: while ``SLACK_SIGNING_SECRET_PREVIOUS`` is
set, seals made with it still open (new ones are made with the current secret).

The purpose binds a seal to its use: a modal's metadata is sealed for the user who opened it,
so a submit by anyone else does not verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

# What each sealed value is for: a seal made for one purpose does not open for another.
RETRY_PURPOSE = "retry"  # an "Edit & retry" button's value (a submission id)
UNSURE_PURPOSE = "unsure"  # …and the unsure card's two buttons
REACTION_PURPOSE = "reaction"  # the reactor's "File a ticket" button (channel and message ts)
ADD_PURPOSE = "add"  # "Add to HostUp #10001" in the form: the ticket's id, for the one asking
LIST_PURPOSE = "list"  # /ticket list and find: the next page's query, for the one who asked

MAC_CHARACTERS = 22  # 132 bits of the MAC, base64url
OVERHEAD = MAC_CHARACTERS + 1


class Seal:
    def __init__(self, secrets: Sequence[str]) -> None:
        """``secrets``: the current signing secret (which seals) first, then any that still
        open."""
        self._keys = tuple(
            hmac.new(secret.encode(), b"ticketbot seal v1", hashlib.sha256).digest()
            for secret in secrets
        )

    @staticmethod
    def _mac(key: bytes, purpose: str, text: str) -> str:
        digest = hmac.new(key, f"{purpose}\0{text}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:MAC_CHARACTERS]

    def seal(self, text: str, purpose: str) -> str:
        return f"{self._mac(self._keys[0], purpose, text)}.{text}"

    def open(self, sealed: str | None, purpose: str) -> str | None:
        """The text, if ``sealed`` was sealed by this bot for ``purpose``; else None."""
        if not sealed or "." not in sealed:
            return None
        mac, text = sealed.split(".", 1)
        opens = any(hmac.compare_digest(mac, self._mac(key, purpose, text)) for key in self._keys)
        return text if opens else None
