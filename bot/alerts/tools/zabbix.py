"""Zabbix's Slack media type (``templates/media/slack/media_slack.yaml``): one message per
problem, edited in place when it resolves (``message_changed``), updates in its thread.

- recognised by: the name "Zabbix", or a link to ``tr_events.php?triggerid=…&eventid=…``;
- identity: the trigger and the problem's event id in that link;
- resolved: ``Resolved in <duration>:`` heading the title; ``Updated problem`` (its
  thread replies) is an update.
"""

from __future__ import annotations

import re

from bot.alerts import generic, kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.domain.alerts import Severity

EVENT = re.compile(r"tr_events\.php\?triggerid=(\d{1,20})&(?:amp;)?eventid=(\d{1,20})")
STATUS = re.compile(
    r"^\s{0,5}(Problem|Resolved|Updated problem|Problem started)(?: (?:in|at) [^:]{0,60})?:\s{0,5}",
    re.I,
)
LEVELS = {
    "disaster": Severity.CRITICAL,
    "high": Severity.CRITICAL,
    "average": Severity.WARNING,
    "warning": Severity.WARNING,
    "information": Severity.INFO,
}


def recognises(message: Message) -> bool:
    return bool(kit.search(EVENT, message))


def identity(message: Message) -> str | None:
    event = kit.search(EVENT, message)
    return f"trigger:{event.group(1)}:{event.group(2)}" if event else None


def subject(message: Message) -> str | None:
    return STATUS.sub("", kit.first_head(message)) or None


def _status(message: Message) -> str:
    status = kit.head_matching(STATUS, message)
    return status.group(1).lower() if status is not None else ""


def resolved(message: Message) -> bool:
    return _status(message) == "resolved"


def update(message: Message) -> bool:
    return _status(message) == "updated problem"


def severity(message: Message) -> Severity | None:
    level = kit.facts(message).get("severity", "").lower()
    return LEVELS.get(level) or generic.severity(message)


SOURCE = Source(
    names=("Zabbix",),
    name="zabbix",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    update=update,
    subject=subject,
    severity=severity,
)
