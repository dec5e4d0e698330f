"""Healthchecks.io's Slack integration (``hc/integrations/slack/transport.py``): one
attachment titled ``“<check>” is DOWN.`` / ``is UP.``, linked to the check.

- recognised by: the name "Healthchecks.io", or that title, or a ``/cloaked/`` check link;
- identity: the check's link (one per check, the same on DOWN and UP);
- resolved: ``is UP.``
"""

from __future__ import annotations

import re

from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.alerts.text import plain

TITLE = re.compile(r"^[“\"]([^\n]{1,255})[”\"] is (DOWN|UP)\.?$")


def _title(message: Message) -> re.Match[str] | None:
    return next((m for a in message.attachments if (m := TITLE.match(plain(a.title)))), None)


def recognises(message: Message) -> bool:
    return bool(_title(message) or any("/cloaked/" in a.title_link for a in message.attachments))


def identity(message: Message) -> str | None:
    link = next((a.title_link for a in message.attachments if a.title_link), "")
    if link:
        return f"check:{link}"
    title = _title(message)
    return f"name:{title.group(1)}" if title else None


def subject(message: Message) -> str | None:
    title = _title(message)
    return f"{title.group(1)} is {title.group(2)}" if title else None


def resolved(message: Message) -> bool:
    title = _title(message)
    return title is not None and title.group(2) == "UP"


SOURCE = Source(
    names=("Healthchecks.io", "Healthchecks"),
    name="healthchecks",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    subject=subject,
)
