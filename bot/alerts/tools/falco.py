"""Falco through falcosidekick's Slack output (``outputs/slack.go``): one attachment with the
event's output line and fields ``rule``, ``priority``, ``source``, ``hostname`` and the
event's tags. Falco events never resolve.

- recognised by: the name "Falcosidekick", or fields ``rule`` and ``priority`` with a
  falcosidekick footer;
- identity: the rule, the host and the container (or namespace/pod) it fired in;
- resolved: never.
"""

from __future__ import annotations

from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.domain.alerts import Severity

LEVELS = {
    "emergency": Severity.CRITICAL,
    "alert": Severity.CRITICAL,
    "critical": Severity.CRITICAL,
    "error": Severity.CRITICAL,
    "warning": Severity.WARNING,
    "notice": Severity.INFO,
    "informational": Severity.INFO,
    "info": Severity.INFO,
    "debug": Severity.INFO,
}


def _fields(message: Message) -> dict[str, str]:
    for a in message.attachments:
        fields = {t.strip().lower(): v.strip() for t, v in a.fields}
        if "rule" in fields and "priority" in fields:
            return fields
    return {}


def recognises(message: Message) -> bool:
    return bool(_fields(message)) and "falcosidekick" in message.all_text


def identity(message: Message) -> str | None:
    f = _fields(message)
    if not f:
        return None
    where = f.get("container.id") or f"{f.get('k8s.ns.name', '')}/{f.get('k8s.pod.name', '')}"
    return f"{f['rule']}:{f.get('hostname', '')}:{where}"


def subject(message: Message) -> str | None:
    return _fields(message).get("rule") or None


def severity(message: Message) -> Severity | None:
    return LEVELS.get(_fields(message).get("priority", "").lower())


SOURCE = Source(
    names=("Falcosidekick", "Falco"),
    name="falco",
    recognises=recognises,
    identity=identity,
    resolved=lambda message: False,
    subject=subject,
    severity=severity,
)
