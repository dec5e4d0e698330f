"""A first prefill from a Slack message: subject from its first line, body from its text.

Slack markup is turned into plain words so nothing pings or breaks when it is posted back.
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot.providers.base import CommonField, FieldValue
from bot.views.text import truncate

SUBJECT_LIMIT = 150
_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>")
_BARE = re.compile(r"<([^<>|]+)>")


def plain(text: str) -> str:
    """Slack mrkdwn → plain text: ``<url|label>`` → ``label (url)``, ``<!here>`` → ``@here``."""

    def labelled(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "#")):
            return f"{target[0]}{label}"
        if target.startswith("!"):
            return f"@{label or target[1:]}"
        return f"{label} ({target})" if label and label != target else target

    def bare(match: re.Match[str]) -> str:
        target = match.group(1)
        if target.startswith("!"):
            return "@" + target[1:].split("^")[0]
        return target

    return html.unescape(_BARE.sub(bare, _LINK.sub(labelled, text)))


def message_text(message: dict[str, Any]) -> str:
    """The readable text of a message: its text, else its legacy attachments' titles and text."""
    parts = [message.get("text") or ""]
    for attachment in message.get("attachments") or []:
        parts += [attachment.get(key) or "" for key in ("pretext", "title", "text")]
    return "\n".join(part for part in parts if part.strip())


def prefill_from_message(message: dict[str, Any]) -> dict[str, FieldValue]:
    text = plain(message_text(message)).strip()
    if not text:
        return {}
    first = next(line.strip(" *_`>#") for line in text.splitlines() if line.strip())
    return {
        CommonField.SUBJECT.value: truncate(first, SUBJECT_LIMIT),
        CommonField.DESCRIPTION.value: truncate(text, 2900),
    }
