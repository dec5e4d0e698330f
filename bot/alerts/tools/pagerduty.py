"""PagerDuty's Slack app (closed format: its support guide): a triggered incident is posted
once and then edited in place (``message_changed``) as it is acknowledged and resolved.

- recognised by: the name "PagerDuty", or a link to ``<sub>.pagerduty.com/incidents/<id>``;
- identity: the incident id in that link;
- resolved: the message says ``Resolved`` (or ``Incident resolved``) first;
  ``Acknowledged``, ``Reassigned``, ``Escalated`` are updates.
"""

from __future__ import annotations

import re

from bot.alerts import generic, kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.alerts.text import plain
from bot.domain.alerts import Severity

INCIDENT = re.compile(r"pagerduty\.com/incidents/(\w{1,40})")
STATUS = re.compile(
    r"^\s{0,5}(?:Incident\s)?(Triggered|Acknowledged|Resolved|Reassigned|Escalated)\b:?\s{0,5}",
    re.I,
)
URGENCY = {"high": Severity.CRITICAL, "low": Severity.WARNING}


def recognises(message: Message) -> bool:
    return bool(kit.search(INCIDENT, message))


def identity(message: Message) -> str | None:
    found = kit.search(INCIDENT, message)
    return f"incident:{found.group(1)}" if found else None


def subject(message: Message) -> str | None:
    if message.blocks.rich_link:
        return STATUS.sub("", plain(message.blocks.rich_link))
    head = kit.first_head(message)
    return STATUS.sub("", head) or None


def _status(message: Message) -> str:
    status = kit.head_matching(STATUS, message)
    return status.group(1).lower() if status is not None else ""


def resolved(message: Message) -> bool:
    return _status(message) == "resolved"


def update(message: Message) -> bool:
    return _status(message) in ("acknowledged", "reassigned", "escalated")


def severity(message: Message) -> Severity | None:
    """The incident's urgency: High pages someone now, Low waits for working hours."""
    urgency = kit.facts(message).get("urgency", "").lower()
    if urgency in URGENCY:
        return URGENCY[urgency]
    return generic.severity(message)


SOURCE = Source(
    names=("PagerDuty",),
    name="pagerduty",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    update=update,
    subject=subject,
    severity=severity,
)
