"""Uptime Kuma's Slack notification (``server/notification-providers/slack.js``): plain text
``[<monitor>] [🔴 Down] <detail>`` (``[✅ Up]`` on recovery), or the rich form with a header
and buttons when a base URL is set. Each change is a new message.

- recognised by: the name "Uptime Kuma", or a ``] [🔴 Down] ``/``] [✅ Up] `` line;
- identity: the monitor id of the ``/dashboard/<id>`` button if there is one, else the group
  and the monitor's name;
- resolved: ``[✅ Up]``.
"""

from __future__ import annotations

import re

from bot.alerts import kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.alerts.text import plain

LINE = re.compile(r"^\[([^\n]{1,255}?)\] \[(✅ Up|🔴 Down)\] ?([^\n]{0,2000})", re.M)
DASHBOARD = re.compile(r"/dashboard/(\d{1,12})\b")
GROUP = re.compile(r"^_([^\n_]{1,255})_$", re.M)


def _line(message: Message) -> re.Match[str] | None:
    return LINE.search(plain(message.all_text))


def recognises(message: Message) -> bool:
    return bool(_line(message))


def identity(message: Message) -> str | None:
    if dashboard := kit.search(DASHBOARD, message):
        return f"monitor:{dashboard.group(1)}"
    line = _line(message)
    if line is None:
        return None
    group = GROUP.search(message.all_text)
    return f"name:{group.group(1) if group else ''}/{line.group(1)}"


def subject(message: Message) -> str | None:
    line = _line(message)
    if line is None:
        return None
    if line.group(2).endswith("Up"):
        return f"{line.group(1)}: recovered ({line.group(3)})"
    return f"{line.group(1)}: {line.group(3)}"


def resolved(message: Message) -> bool:
    line = _line(message)
    return line is not None and line.group(2).endswith("Up")


SOURCE = Source(
    names=("Uptime Kuma", "Uptime-Kuma"),
    name="uptime-kuma",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    subject=subject,
)
