"""Icinga 2 and Nagios through the community notification commands (Icinga ships none):
nisabek/icinga2-slack-notifications (``slack-notifications-command.conf``),
jjethwa/icinga2-slack-notification (``slack-*-notification.sh``), and Slack's legacy Nagios
app (tinyspeck/services-examples ``nagios.pl``; Slack renders it, closed). Each notification is
a new message.

- recognised by: the names "icinga2"/"icinga"/"nagios", links to Icinga Web, or a
  ``<TYPE>: …``/``<TYPE> - <STATE>: …`` head with a Nagios notification type;
- identity: host and service names (the links' query, or ``host/service`` in the head);
- resolved: notification type ``RECOVERY``; the other types but ``PROBLEM``
  (acknowledgements, downtimes, flapping, custom) are updates.
"""

from __future__ import annotations

import re

from bot.alerts import generic, kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.domain.alerts import Severity

TYPES = (
    r"PROBLEM|RECOVERY|ACKNOWLEDGEMENT|DOWNTIMESTART|DOWNTIMEEND|DOWNTIMEREMOVED"
    r"|FLAPPINGSTART|FLAPPINGEND|FLAPPINGSTOP|CUSTOM"
)
HEAD = re.compile(rf"^\s{{0,5}}({TYPES})(?::| - ([A-Z]{{2,12}}):)\s{{0,5}}", re.I)
NAGIOS = re.compile(
    rf"^\s{{0,5}}({TYPES}): ([^/\s]{{1,255}})/([^\n]{{1,255}}?) is ([A-Z]{{2,12}})\b"
)
STATE = re.compile(
    r"\b(?:to|in) state ([A-Z]{2,12})\b|\bis (OK|UP|DOWN|CRITICAL|WARNING|UNKNOWN)\b"
)
LEVELS = {"CRITICAL": Severity.CRITICAL, "DOWN": Severity.CRITICAL}
LEVELS |= {"WARNING": Severity.WARNING, "UNKNOWN": Severity.WARNING}
LEVELS |= {"UNREACHABLE": Severity.WARNING}


def recognises(message: Message) -> bool:
    return bool(
        "/monitoring/service/show?" in message.all_text
        or "/monitoring/host/" in message.all_text
        or kit.head_matching(HEAD, message)
    )


def _kind(message: Message) -> str:
    facts = kit.facts(message)
    if facts.get("type"):
        return facts["type"].upper()
    head = kit.head_matching(HEAD, message)
    return head.group(1).upper() if head else ""


def _state(message: Message) -> str:
    facts = kit.facts(message)
    if facts.get("state"):
        return facts["state"].split(" ")[0].upper()
    if (head := kit.head_matching(HEAD, message)) and head.group(2):
        return head.group(2).upper()
    found = kit.head_matching(STATE, message)
    return (found.group(1) or found.group(2)).upper() if found else ""


def _where(message: Message) -> tuple[str, str]:
    service = kit.link_params(message, "/service/show?")
    if service.get("host"):
        return service["host"], service.get("service", "")
    host = kit.link_params(message, "/monitoring/host/")
    if host.get("host"):
        return host["host"], ""
    if nagios := kit.head_matching(NAGIOS, message):
        return nagios.group(2), nagios.group(3)
    if head := kit.head_matching(HEAD, message):
        target = kit.first_head(message)[head.end() :].split(" - ", 1)
        return target[0].strip(), target[1].strip() if len(target) > 1 else ""
    return "", ""


def identity(message: Message) -> str | None:
    host, service = _where(message)
    return f"{host}:{service}" if host else None


def subject(message: Message) -> str | None:
    host, service = _where(message)
    if not host:
        return None
    shown = kit.facts(message).get("service") or service
    if shown != service:
        shown = f"{shown} ({service})"
    state = _state(message)
    return f"{host} / {shown} {state}" if service else f"Host {host} {state}"


def resolved(message: Message) -> bool:
    return _kind(message) == "RECOVERY"


def update(message: Message) -> bool:
    return _kind(message) not in ("", "PROBLEM", "RECOVERY")


def severity(message: Message) -> Severity | None:
    return LEVELS.get(_state(message)) or generic.severity(message)


SOURCE = Source(
    names=("icinga2", "icinga", "nagios"),
    name="icinga2",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    update=update,
    subject=subject,
    severity=severity,
)
