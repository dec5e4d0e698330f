"""Opsgenie's Slack app (closed format; alert fields from Opsgenie's alert API docs): one
message per alert, ``#<tinyId>: <message>`` linked to the alert, updated in place as it is
acknowledged and closed (``message_changed``).

- recognised by: the name "Opsgenie", or a link to ``app.opsgenie.com/alert/detail/<id>``;
- identity: the alert id in that link;
- resolved: ``Status: Closed``; ``Acked``/``Snoozed`` are updates.
"""

from __future__ import annotations

import re

from bot.alerts import generic, kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.domain.alerts import Severity

ALERT = re.compile(r"opsgenie\.com/alert/detail/([\w-]{1,80})")
TITLE = re.compile(r"^\s{0,5}#\d{1,12}:\s{0,5}")
LEVELS = {"p1": Severity.CRITICAL, "p2": Severity.CRITICAL, "p3": Severity.WARNING}
LEVELS |= {"p4": Severity.INFO, "p5": Severity.INFO}


def recognises(message: Message) -> bool:
    return bool(kit.search(ALERT, message))


def identity(message: Message) -> str | None:
    found = kit.search(ALERT, message)
    return f"alert:{found.group(1)}" if found else None


def _status(message: Message) -> str:
    return kit.facts(message).get("status", "").split(" ")[0].lower()


def subject(message: Message) -> str | None:
    return TITLE.sub("", generic.subject(message, {})) or None


def severity(message: Message) -> Severity | None:
    priority = kit.facts(message).get("priority", "").split(" ")[0].lower()
    return LEVELS.get(priority) or generic.severity(message)


SOURCE = Source(
    names=("Opsgenie",),
    name="opsgenie",
    recognises=recognises,
    identity=identity,
    resolved=lambda message: _status(message) == "closed",
    update=lambda message: _status(message) in ("acked", "acknowledged", "snoozed"),
    subject=subject,
    severity=severity,
)
