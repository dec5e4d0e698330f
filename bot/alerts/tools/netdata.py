"""Netdata's agent (``src/health/notifications/alarm-notify.sh.in``, ``send_slack``):
``<host> is critical|needs attention|recovered, `<chart>`, *<alarm>*`` over an attachment
linked to the alarm.

- recognised by: a name starting "netdata", or that text, or a registry-alert link;
- identity: the host and the ``alarm_id`` of the link (the same for every transition of one
  alert on one host);
- resolved: ``recovered`` (or ``alarm_status=CLEAR`` in the link).
"""

from __future__ import annotations

import re

from bot.alerts import generic, kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.alerts.text import plain
from bot.domain.alerts import Severity

TEXT = re.compile(
    r"^(\S{1,255}) (is critical|needs attention|recovered), ([^,\n]{1,255}), ([^\n]{0,500})"
)
STATES = {"is critical": Severity.CRITICAL, "needs attention": Severity.WARNING}


def _text(message: Message) -> re.Match[str] | None:
    return TEXT.match(plain(message.text.split("\n", 1)[0][:2000]))


def recognises(message: Message) -> bool:
    return bool(
        any(n.lower().startswith("netdata") for n in message.sender_names)
        or _text(message)
        or "registry-alert-redirect" in message.all_text
    )


def identity(message: Message) -> str | None:
    params = kit.link_params(message, "alarm_id=")
    host = params.get("host") or ((found := _text(message)) and found.group(1)) or ""
    alarm = params.get("alarm_id") or params.get("alarm", "")
    if not alarm and (found := _text(message)):
        alarm = f"{found.group(3)}:{found.group(4).split(' = ')[0]}"
    return f"{host}:{alarm}" if host and alarm else None


def subject(message: Message) -> str | None:
    found = _text(message)
    if found is None:
        return None
    what = found.group(4)
    if found.group(2) == "recovered":
        return f"{found.group(1)}: {what.split(' (alarm was raised', 1)[0]} recovered"
    return f"{found.group(1)}: {what}"


def resolved(message: Message) -> bool:
    found = _text(message)
    if found is not None:
        return found.group(2) == "recovered"
    return kit.link_params(message, "alarm_status=").get("alarm_status") == "CLEAR"


def severity(message: Message) -> Severity | None:
    found = _text(message)
    return STATES.get(found.group(2)) if found else generic.severity(message)


SOURCE = Source(
    name="netdata",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    subject=subject,
    severity=severity,
)
