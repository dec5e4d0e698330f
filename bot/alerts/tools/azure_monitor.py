"""Azure Monitor through an Action Group with the common alert schema and a Logic App that
posts to Slack (Azure has no Slack channel of its own, so the layout is the Logic App's;
what is standard is the schema's ``essentials``: ``alertId``, ``alertRule``, ``severity``
Sev0–Sev4, ``monitorCondition`` Fired|Resolved).

- recognised by: the name "Azure Monitor", or a link or id with
  ``Microsoft.AlertsManagement/alerts/<guid>``;
- identity: that alert id (the same for Fired and Resolved);
- resolved: the monitor condition ``Resolved``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from bot.alerts import generic, kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.domain.alerts import Severity

ALERT = re.compile(r"Microsoft\.AlertsManagement/alerts/([0-9a-f-]{36})", re.I)
STATUS = re.compile(
    r"^\s{0,5}(?:\[(?:Fired|Resolved)\]\s{0,5}(?:Sev\d\s{1,5})?"
    r"|Azure Monitor alert (?:Fired|Resolved):\s{0,5})",
    re.I,
)
LEVELS = {"sev0": Severity.CRITICAL, "sev1": Severity.CRITICAL, "sev2": Severity.WARNING}
LEVELS |= {"sev3": Severity.INFO, "sev4": Severity.INFO}


def _found(message: Message) -> re.Match[str] | None:
    return ALERT.search(unquote(message.all_text))


def recognises(message: Message) -> bool:
    return bool(_found(message))


def identity(message: Message) -> str | None:
    found = _found(message)
    return f"alert:{found.group(1).lower()}" if found else None


def _condition(message: Message) -> str:
    facts = kit.facts(message)
    if condition := facts.get("monitor condition") or facts.get("monitorcondition"):
        return condition.lower()
    head = kit.first_head(message).lower()
    return "resolved" if "resolved" in head.split(":", 1)[0] else "fired"


def subject(message: Message) -> str | None:
    heads = generic.heads(message)
    bracketed = next((h for h in heads if h.startswith("[")), heads[0] if heads else "")
    return STATUS.sub("", bracketed) or None


def resolved(message: Message) -> bool:
    return _condition(message) == "resolved"


def severity(message: Message) -> Severity | None:
    level = re.search(r"\bSev([0-4])\b", message.all_text)
    return LEVELS.get(f"sev{level.group(1)}") if level else generic.severity(message)


SOURCE = Source(
    names=("Azure Monitor",),
    name="azure-monitor",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    subject=subject,
    severity=severity,
)
