"""An alert as the services see it: what a monitoring tool's message said, already read.

Reading Slack message shapes is ``bot.alerts``' job; everything past it gets an ``Alert``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

LONGEST = 120  # characters of an identity kept as it is in a key; a longer one is hashed


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Alert:
    """One alert message, read: ``identity`` names the alert across its firing, re-firing
    and resolved messages (as its tool names it); ``update`` says the message only tells of
    something done about it (acknowledged, assigned, a note); ``sender`` is the bot (or app)
    that posted it, None for a person."""

    source: str
    subject: str
    body: str
    severity: Severity | None
    identity: str | None
    resolved: bool
    update: bool = False
    sender: str | None = None
    sender_name: str | None = None

    @property
    def urgency(self) -> Severity | None:
        """What a ticket's priority starts from: an alert already over is no emergency."""
        return Severity.INFO if self.resolved else self.severity


def alert_key(channel_id: str | None, alert: Alert) -> str | None:
    """What a ticket is matched on: the alert's identity *in its channel, from its sender*,
    so a look-alike posted elsewhere or by another app never moves this ticket."""
    if not alert.identity or not channel_id:
        return None
    identity = alert.identity
    if len(identity) > LONGEST:  # NOTE: the key rides in a modal's private_metadata (3,000)
        identity = "sha256:" + hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"{channel_id}|{alert.sender or '-'}|{identity}"
