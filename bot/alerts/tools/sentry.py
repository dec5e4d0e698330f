"""Sentry's Slack app (``src/sentry/integrations/slack/message_builder/``): issue alerts in
blocks, edited in place when someone resolves the issue from Slack; metric alerts as a
``Critical:``/``Warning:``/``Resolved:`` linked title over a coloured attachment.

- recognised by: the name "Sentry", or a link to ``sentry.io/issues/<id>`` or
  ``/alerts/rules/details/<id>``;
- identity: the issue id (issue alerts); the rule and the incident (``?alert=``) for metric
  alerts;
- resolved: ``Resolved:`` heading a metric alert; ``Issue resolved by …`` in an edited issue
  alert.
"""

from __future__ import annotations

import re

from bot.alerts import kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.alerts.text import plain
from bot.domain.alerts import Severity

ISSUE = re.compile(r"/issues/(\d{1,20})/")
METRIC = re.compile(r"/alerts/rules/details/(\d{1,20})/\?(?:[^\s|>]{0,300}&)?alert=(\d{1,20})")
STATUS = re.compile(r"^\s{0,5}(Critical|Warning|Resolved):\s{0,5}", re.I)
ACTED = re.compile(r"^\s{0,5}Issue (resolved|archived|re-opened|assigned)\b", re.I | re.M)
LEVELS = {
    ":red_circle:": Severity.CRITICAL,
    ":large_yellow_circle:": Severity.WARNING,
    ":large_blue_circle:": Severity.INFO,
}


def recognises(message: Message) -> bool:
    return bool(
        kit.search(re.compile(r"sentry\.io/(?:organizations/[\w-]{1,60}/)?issues/\d"), message)
        or kit.search(METRIC, message)
    )


def identity(message: Message) -> str | None:
    if metric := kit.search(METRIC, message):
        return f"metric:{metric.group(1)}:{metric.group(2)}"
    issue = kit.search(ISSUE, message)
    return f"issue:{issue.group(1)}" if issue else None


def subject(message: Message) -> str | None:
    head = kit.first_head(message)
    return STATUS.sub("", head) or None


def resolved(message: Message) -> bool:
    status = kit.head_matching(STATUS, message)
    if status is not None:
        return status.group(1).lower() == "resolved"
    acted = [m.group(1).lower() for m in ACTED.finditer(plain(message.all_text))]
    return bool(acted) and acted[-1] == "resolved"


def severity(message: Message) -> Severity | None:
    status = kit.head_matching(STATUS, message)
    if status is not None and status.group(1).lower() != "resolved":
        return Severity(status.group(1).lower())
    text = message.all_text
    return next((level for code, level in LEVELS.items() if code in text), None)


SOURCE = Source(
    names=("Sentry",),
    name="sentry",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    subject=subject,
    severity=severity,
)
