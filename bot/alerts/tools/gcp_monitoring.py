"""Google Cloud Monitoring's Slack channel (closed format, rendered by Google; the incident's
fields are documented in its webhook schema): a new message when an incident opens and when
it closes.

- recognised by: the name "Google Cloud Monitoring", or a console link to
  ``/monitoring/alerting/incidents/<id>``;
- identity: the incident id and its project;
- resolved: the incident ``is closed`` (or a ``[RESOLVED]`` title).
"""

from __future__ import annotations

import re

from bot.alerts import generic, kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.domain.alerts import Severity

INCIDENT = re.compile(r"/monitoring/alerting/incidents/([\w.-]{1,80})(?:\?project=([\w-]{1,80}))?")
STATUS = re.compile(r"^\s{0,5}\[(?:ALERT - \w{1,20}|RESOLVED|No severity)\]\s{0,5}", re.I)
CLOSED = re.compile(r"\bIncident #?[\w.-]{1,80} is (open|closed)\b|^\s{0,5}\[RESOLVED\]", re.I)
LEVELS = {"critical": Severity.CRITICAL, "error": Severity.WARNING, "warning": Severity.WARNING}


def recognises(message: Message) -> bool:
    return bool(kit.search(INCIDENT, message))


def identity(message: Message) -> str | None:
    found = kit.search(INCIDENT, message)
    return f"incident:{found.group(2) or ''}:{found.group(1)}" if found else None


def subject(message: Message) -> str | None:
    return STATUS.sub("", kit.first_head(message)) or None


def resolved(message: Message) -> bool:
    found = kit.head_matching(CLOSED, message)
    return found is not None and (found.group(1) or "closed").lower() == "closed"


def severity(message: Message) -> Severity | None:
    level = kit.facts(message).get("severity", "").lower()
    return LEVELS.get(level) or generic.severity(message)


SOURCE = Source(
    names=("Google Cloud Monitoring",),
    name="gcp-monitoring",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    subject=subject,
    severity=severity,
)
