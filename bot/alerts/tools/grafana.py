"""Grafana: unified alerting (``grafana/alerting`` ``receivers/slack``, default template) and
legacy dashboard alerts (Grafana ≤ 10, ``pkg/services/alerting/notifiers/slack.go``).

- recognised by: a ``Grafana v…`` footer, a link to ``/alerting/grafana/<uid>/view``, or a
  legacy ``[Alerting]``/``[OK]``/``[No Data]`` title linked to a dashboard panel;
- identity: the rule uid and the group labels in the title (unified); the dashboard, panel
  and rule name (legacy);
- resolved: ``[RESOLVED]`` (unified; ``[FIRING:1, RESOLVED:1]`` is still firing), ``[OK]``
  (legacy).
"""

from __future__ import annotations

import re

from bot.alerts import kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.alerts.text import plain

UNIFIED = re.compile(
    r"^\s{0,5}\[(?:FIRING:\d{1,6}(?:, ?RESOLVED:\d{1,6})?|RESOLVED)\]\s{0,5}", re.I
)
LEGACY = re.compile(r"^\s{0,5}\[(Alerting|OK|No Data|Unknown|Pending)\]\s{0,5}", re.I)
RULE = re.compile(r"/alerting/grafana/([\w-]{1,60})/view")
PANEL = re.compile(
    r"/d/([\w-]{1,60})/[^\s?]{0,200}\?[^\s]{0,500}?(?:viewPanel|editPanel|panelId)=(\d{1,9})"
)


def _legacy(message: Message) -> bool:
    return any(LEGACY.match(a.title) and PANEL.search(a.title_link) for a in message.attachments)


def recognises(message: Message) -> bool:
    return (
        any(a.footer.startswith("Grafana v") for a in message.attachments)
        or bool(kit.search(RULE, message))
        or _legacy(message)
    )


def _title(message: Message) -> str:
    return next((plain(a.title) for a in message.attachments if a.title), "")


def identity(message: Message) -> str | None:
    title = _title(message)
    if (panel := kit.search(PANEL, message)) and LEGACY.match(title):
        return f"panel:{panel.group(1)}:{panel.group(2)}:{LEGACY.sub('', title).strip()}"
    group = " ".join(kit.without_paren_tail(UNIFIED.sub("", title)).split())
    rule = kit.search(RULE, message)
    if rule is None and not group:
        return None
    return f"rule:{rule.group(1) if rule else '-'}:{group}"


def subject(message: Message) -> str | None:
    return LEGACY.sub("", UNIFIED.sub("", _title(message))) or None


def resolved(message: Message) -> bool:
    title = _title(message)
    return bool(re.match(r"\s{0,5}\[(RESOLVED|OK)\]", title, re.I))


SOURCE = Source(
    names=("Grafana",),
    name="grafana",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    subject=subject,
)
