"""Gatus's Slack alerting provider (``alerting/provider/slack/slack.go``): one attachment
``An alert for *<group>/<name>* has been triggered|resolved …`` under the title ``Gatus``.

- recognised by: that sentence (the title is configurable and the same for every alert);
- identity: the endpoint (group/name) and the alert's description;
- resolved: ``has been resolved``.
"""

from __future__ import annotations

import re

from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.alerts.text import plain

TEXT = re.compile(r"An alert for \*?([^\n*]{1,255}?)\*? has been (triggered|resolved)\b")
DESCRIPTION = re.compile(r"^> ?([^\n]{1,500})", re.M)


def _text(message: Message) -> tuple[re.Match[str], str] | None:
    for a in message.attachments:
        if found := TEXT.search(a.text[:2000]):
            described = DESCRIPTION.search(plain(a.text[:4000]))
            return found, described.group(1).strip() if described else ""
    return None


def recognises(message: Message) -> bool:
    return _text(message) is not None


def identity(message: Message) -> str | None:
    found = _text(message)
    return f"{found[0].group(1)}:{found[1]}" if found else None


def subject(message: Message) -> str | None:
    found = _text(message)
    if found is None:
        return None
    head = f"{found[0].group(1)} {found[0].group(2)}"
    return f"{head}: {found[1]}" if found[1] else head


def resolved(message: Message) -> bool:
    found = _text(message)
    return found is not None and found[0].group(2) == "resolved"


SOURCE = Source(
    name="gatus", recognises=recognises, identity=identity, resolved=resolved, subject=subject
)
