"""Datadog monitors, as its Slack integration posts them (closed format: the title convention
``[P2] [Triggered on {host:web-1}] <monitor>`` from Datadog's docs and event stream).

- recognised by: the name "Datadog", or a link to ``datadoghq.*/monitors/<id>``;
- identity: the monitor id and its group (``?group=`` or the title's ``{scope}``);
- resolved: ``[Recovered`` (after an optional ``[Pn]``), or a leading ``Recovered:``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from bot.alerts import generic, kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.alerts.text import plain
from bot.domain.alerts import Severity

MONITOR = re.compile(
    r"(?:datadoghq\.[a-z]{2,3}|ddog-gov\.com)/monitors/(\d{1,15})(?:\?[^\s|>]{0,500})?"
)
STATUS = re.compile(
    r"^\s{0,5}(?:\[P\d\]\s{0,5})?\[(Triggered|Re-Triggered|Warn|Recovered|No Data|Renotify)"
    r"(?: on (\{[^}]{0,500}\}))?\]\s{0,5}|^\s{0,5}(Recovered|Triggered|Warn):\s{0,5}",
    re.I,
)


def recognises(message: Message) -> bool:
    return bool(kit.search(MONITOR, message))


def _title(message: Message) -> str:
    return next((h for h in generic.heads(message) if STATUS.match(h)), "")


def identity(message: Message) -> str | None:
    monitor = kit.search(MONITOR, message)
    if monitor is None:
        return None
    group = re.search(r"[?&]group=([^&\s|>]{1,300})", monitor.group(0))
    status = STATUS.match(_title(message))
    scope = unquote(group.group(1)) if group else (status and status.group(2)) or ""
    return f"monitor:{monitor.group(1)}:{scope.strip('{}')}"


def subject(message: Message) -> str | None:
    title = _title(message)
    status = STATUS.match(title)
    if status is None:
        return None
    scope = (status.group(2) or "").strip("{}")
    name = STATUS.sub("", plain(title))
    return f"{name} on {scope}" if scope else name


def resolved(message: Message) -> bool:
    status = STATUS.match(_title(message))
    return status is not None and "recovered" in (status.group(1) or status.group(3) or "").lower()


def severity(message: Message) -> Severity | None:
    status = STATUS.match(_title(message))
    word = (status.group(1) or status.group(3) or "").lower() if status else ""
    if word in ("triggered", "re-triggered", "renotify"):
        return Severity.CRITICAL
    if word == "warn":
        return Severity.WARNING
    return generic.severity(message)


SOURCE = Source(
    names=("Datadog",),
    name="datadog",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    subject=subject,
    severity=severity,
)
