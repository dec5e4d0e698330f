"""New Relic's Slack destination (closed format: the default workflow message template, per
New Relic's docs on message templates): ``<Priority> priority issue is <State>`` over the
issue's title linked to its page; later states are replies in the first message's thread.

- recognised by: the name "New Relic", or a link to ``…/accounts/<n>/issues/<uuid>``;
- identity: the issue id in that link;
- resolved: ``issue is Closed``; ``Acknowledged`` is an update.
"""

from __future__ import annotations

import re

from bot.alerts import generic, kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.domain.alerts import Severity

ISSUE = re.compile(r"/accounts/\d{1,20}/issues/([0-9a-f-]{8,64})")
STATE = re.compile(r"\b(\w{1,20}) priority issue is (\w{1,20})\b", re.I)
LEVELS = {"critical": Severity.CRITICAL, "high": Severity.WARNING}
LEVELS |= {"medium": Severity.INFO, "low": Severity.INFO}


def recognises(message: Message) -> bool:
    return bool(kit.search(ISSUE, message))


def identity(message: Message) -> str | None:
    found = kit.search(ISSUE, message)
    return f"issue:{found.group(1)}" if found else None


def _state(message: Message) -> tuple[str, str]:
    found = kit.head_matching(STATE, message)
    return (found.group(1).lower(), found.group(2).lower()) if found else ("", "")


def subject(message: Message) -> str | None:
    """The issue's title: the first title that is not the state line."""
    titles = [t for t in generic.titles(message) if not STATE.search(t)]
    if titles:
        return titles[0]
    lines = [line for line in generic.body(message, {}).splitlines() if not STATE.search(line)]
    return generic.first_line("\n".join(lines)) or None


def severity(message: Message) -> Severity | None:
    return LEVELS.get(_state(message)[0]) or generic.severity(message)


SOURCE = Source(
    names=("New Relic",),
    name="newrelic",
    recognises=recognises,
    identity=identity,
    resolved=lambda message: _state(message)[1] == "closed",
    update=lambda message: _state(message)[1] == "acknowledged",
    subject=subject,
    severity=severity,
)
