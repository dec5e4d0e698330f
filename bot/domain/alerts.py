"""An alert as the services see it: what a monitoring tool's message said, already read.

Reading Slack message shapes is ``bot.alerts``' job; everything past it gets an ``Alert``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

LONGEST = 120  # characters of an identity kept as it is in a key; a longer one is hashed
# The identities 0.1.0 gave the four tools it knew, as a part of 0.2.0's (tool, kind, id, ...):
# Alertmanager's GroupKey field, Datadog's monitor, PagerDuty's incident, Grafana's rule.
LEGACY = {
    ("alertmanager", "group"): "alertmanager:{}",
    ("datadog", "monitor"): "datadog:monitor:{}",
    ("pagerduty", "incident"): "pagerduty:incident:{}",
    ("grafana", "rule"): "grafana:rule:{}",
}


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


def legacy_key(alert: Alert) -> str | None:
    """The key 0.1.0 kept for this alert's tickets (its identity alone, with no channel or
    sender), so a ticket filed before 0.2.0 is still followed: it is adopted under
    ``alert_key`` by the first message of its alert in the channel it was filed from."""
    if not alert.identity:
        return None
    tool, _, rest = alert.identity.partition(":")
    kind, _, rest = rest.partition(":")
    pattern = LEGACY.get((tool, kind))
    if pattern is None:
        return None
    # NOTE: the group key is the rest whole (it may hold colons); the others end at one
    value = rest if tool == "alertmanager" else rest.split(":", 1)[0]
    return pattern.format(value) if value and value != "-" else None
