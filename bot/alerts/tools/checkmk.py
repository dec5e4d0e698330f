"""Checkmk's Slack notification plug-in (``cmk/notification_plugins/slack.py``): a header
``Host|Service PROBLEM|RECOVERY notification`` over the host, service and state, as blocks.

- recognised by: the name "checkmk", a ``… notification`` header of that form, or a footer
  ``Check_MK notification``;
- identity: site, host and service from the links to the host and service views;
- resolved: ``RECOVERY`` in the header, or the state ``OK``/``UP``; acknowledgements,
  downtimes, flapping and custom notifications are updates.
"""

from __future__ import annotations

import re

from bot.alerts import generic, kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.domain.alerts import Severity

HEADER = re.compile(
    r"^\s{0,5}(Host|Service) (PROBLEM|RECOVERY|FLAPPINGSTART|FLAPPINGSTOP|ACKNOWLEDGEMENT"
    r"|DOWNTIMESTART|DOWNTIMEEND|CUSTOM)\b[^\n]{0,40}notification",
    re.I,
)
STATES = {
    "CRIT": Severity.CRITICAL,
    "CRITICAL": Severity.CRITICAL,
    "DOWN": Severity.CRITICAL,
    "WARN": Severity.WARNING,
    "WARNING": Severity.WARNING,
    "UNKNOWN": Severity.WARNING,
    "UNREACH": Severity.WARNING,
    "UNREACHABLE": Severity.WARNING,
}


def recognises(message: Message) -> bool:
    return bool(kit.head_matching(HEADER, message) or "Check_MK notification" in message.all_text)


def _where(message: Message) -> tuple[str, str, str]:
    found = kit.facts(message)
    service = kit.link_params(message, "view_name=service&")
    host = service or kit.link_params(message, "view_name=hoststatus")
    return (
        host.get("site", ""),
        host.get("host") or found.get("host", "").split(" (")[0],
        service.get("service") or found.get("service", ""),
    )


def identity(message: Message) -> str | None:
    site, host, service = _where(message)
    return f"{site}:{host}:{service}" if host else None


def _state(message: Message) -> str:
    return kit.facts(message).get("state", "").split(" ")[0].upper()


def subject(message: Message) -> str | None:
    _, host, service = _where(message)
    if not host:
        return None
    state = _state(message)
    return f"{host} / {service} {state}" if service else f"Host {host} {state}"


def resolved(message: Message) -> bool:
    header = kit.head_matching(HEADER, message)
    return (header is not None and header.group(2).upper() == "RECOVERY") or _state(message) in (
        "OK",
        "UP",
    )


def update(message: Message) -> bool:
    header = kit.head_matching(HEADER, message)
    return header is not None and header.group(2).upper() not in ("PROBLEM", "RECOVERY")


def severity(message: Message) -> Severity | None:
    return STATES.get(_state(message)) or generic.severity(message)


SOURCE = Source(
    names=("checkmk", "check_mk", "Checkmk"),
    name="checkmk",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    update=update,
    subject=subject,
    severity=severity,
)
