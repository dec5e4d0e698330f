"""AWS CloudWatch alarms, three ways (each a new message per state change, none edited):
the Lambda blueprint ``cloudwatch-alarm-to-slack-python`` (``<name> state is now <STATE>:
<reason>``), terraform-aws-notify-slack (``functions/notify_slack.py``: fields ``Alarm Name``,
``Current State``…), and AWS Chatbot (closed: ``CloudWatch Alarm | <name> | <region> |
Account: <id>``).

- identity: the alarm name, with the region and account where the message shows them;
- resolved: the state ``OK``; a firing alarm is ``ALARM`` (critical), never read as OK from
  an ``OK -> ALARM`` transition.
"""

from __future__ import annotations

import re

from bot.alerts import kit
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.alerts.text import plain
from bot.domain.alerts import Severity

BLUEPRINT = re.compile(r"(\S[^\n]{0,255}?) state is now (ALARM|OK|INSUFFICIENT_DATA)\b")
NOTIFY = "AWS CloudWatch notification - "
CHATBOT = re.compile(
    r"CloudWatch Alarm \| ([^|]{1,255}?) \| ([\w-]{1,40}) \| Account: (\d{1,20})", re.I
)
STATES = {"ALARM": Severity.CRITICAL, "INSUFFICIENT_DATA": Severity.WARNING, "OK": Severity.INFO}


def _blueprint(message: Message) -> re.Match[str] | None:
    return BLUEPRINT.match(plain(message.text.split("\n", 1)[0][:2000]))


def _notify(message: Message) -> dict[str, str] | None:
    for a in message.attachments:
        if a.text.startswith(NOTIFY):
            return {t.lower(): plain(v).strip("` ") for t, v in a.fields}
    return None


def _chatbot(message: Message) -> re.Match[str] | None:
    return next((m for a in message.attachments if (m := CHATBOT.search(plain(a.title)))), None)


def recognises(message: Message) -> bool:
    return bool(_blueprint(message) or _notify(message) is not None or _chatbot(message))


def _alarm(message: Message) -> tuple[str, str, str] | None:
    """Name, where (region/account, if shown) and state."""
    if found := _blueprint(message):
        return found.group(1), "", found.group(2)
    if (fields := _notify(message)) is not None:
        region = kit.link_params(message, "console.aws").get("region", "")
        return fields.get("alarm name", ""), region, fields.get("current state", "").upper()
    if found := _chatbot(message):
        return found.group(1), f"{found.group(2)}:{found.group(3)}", _chatbot_state(message)
    return None


def _chatbot_state(message: Message) -> str:
    """NOTE: AWS documents no JSON for Chatbot; its ✅ title and green bar are the recovery."""
    first = message.attachments[0]
    green = first.color.lower().lstrip("#") in ("2eb886", "good", "36a64f")
    return "OK" if ":white_check_mark:" in first.title or green else "ALARM"


def identity(message: Message) -> str | None:
    alarm = _alarm(message)
    return f"alarm:{alarm[0]}:{alarm[1]}" if alarm and alarm[0] else None


def subject(message: Message) -> str | None:
    alarm = _alarm(message)
    return f"CloudWatch alarm {alarm[0]} state is now {alarm[2]}" if alarm else None


def resolved(message: Message) -> bool:
    alarm = _alarm(message)
    return alarm is not None and alarm[2] == "OK"


def severity(message: Message) -> Severity | None:
    alarm = _alarm(message)
    return STATES.get(alarm[2]) if alarm else None


SOURCE = Source(
    name="cloudwatch",
    recognises=recognises,
    identity=identity,
    resolved=resolved,
    subject=subject,
    severity=severity,
)
