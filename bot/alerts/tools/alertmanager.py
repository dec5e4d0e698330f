"""Prometheus Alertmanager: its default Slack template (``template/default.tmpl``) and the
community templates that keep its ``[FIRING:n]`` / ``[RESOLVED]`` title (Monzo's).

- recognised by: the name "Alertmanager", or a title link to ``/#/alerts?receiver=``, or a
  ``[FIRING:n]``/``[RESOLVED]`` title;
- identity: the receiver (title link) and the group labels' values (the title, or the default
  fallback a custom title leaves in place, without the status and the common labels); a
  ``GroupKey`` field where a template sends one;
- resolved: ``[RESOLVED]`` heading the title or fallback.
"""

from __future__ import annotations

import re

from bot.alerts import kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.alerts.text import plain, without_shortcodes

STATUS = re.compile(r"^\s{0,5}\[(?:FIRING:\d{1,6}|RESOLVED)\]\s{0,5}", re.I)


def _titled(message: Message) -> bool:
    return any(STATUS.match(a.title or a.fallback) for a in message.attachments)


def recognises(message: Message) -> bool:
    return any("/#/alerts?receiver=" in a.title_link for a in message.attachments) or _titled(
        message
    )


def identity(message: Message) -> str | None:
    for attachment in message.attachments:
        for title, value in attachment.fields:
            if title.lower().replace("_", "").replace(" ", "") == "groupkey":
                return f"group:{value}"
    receiver = kit.link_params(message, "/#/alerts").get("receiver", "")
    for a in message.attachments:
        for text in (a.fallback.split(" | ", 1)[0], a.title):
            if STATUS.match(text):
                group = kit.without_paren_tail(without_shortcodes(STATUS.sub("", plain(text))))
                return f"{receiver}:{' '.join(group.split())}"
    return None


def subject(message: Message) -> str | None:
    title = next((a.title for a in message.attachments if a.title), "")
    return STATUS.sub("", plain(title)) or None


def resolved(message: Message) -> bool:
    return any(
        re.match(r"\s{0,5}\[RESOLVED\]", a.title or a.fallback, re.I) for a in message.attachments
    )


SOURCE = Source(
    names=("Alertmanager", "Prometheus"),
    name="alertmanager",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    subject=subject,
)
