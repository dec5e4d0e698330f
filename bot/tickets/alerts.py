"""Reading an alert message the way a person would: title, body, severity, fingerprint.

Alert bots rarely use ``text``: Alertmanager and Grafana send legacy ``attachments``, Datadog
and PagerDuty send ``blocks``; people paste text. Everything here is pure: user names are
looked up by the caller and passed in.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_SHORTCODE = re.compile(r":[a-z0-9_+\-']+:")
_MARKUP = re.compile(r"(?<![\w*])\*+(?=\S)|(?<=\S)\*+(?![\w*])|`+")
_USER_ID = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Alert:
    subject: str
    body: str
    severity: Severity | None
    fingerprint: str | None


def mentioned_users(message: Mapping[str, Any]) -> set[str]:
    """User ids mentioned anywhere in the message, so the caller can look up their names."""
    found = set(_USER_ID.findall(_all_markup(message)))
    found |= {str(e.get("user_id")) for e in _rich_elements(message) if e.get("type") == "user"}
    return found


def plain(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack markup → readable text: ``<url|label>`` → ``label (url)``, ``<@U1>`` → ``@Ana``,
    ``<#C1|ops>`` → ``#ops``, ``<!here>`` → ``@here``, entities decoded, bold/code marks gone."""
    names = names or {}

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "@" + names.get(target[1:], label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            if label:  # <!subteam^S1|@ops>, <!date^…|fallback>
                return (
                    label
                    if label.startswith("@") or not target.startswith("!subteam")
                    else "@" + label
                )
            return "@" + target[1:].split("^")[0]
        if target.startswith("mailto:"):
            return label or target[7:]
        return f"{label} ({target})" if label and label != target else target

    return html.unescape(_MARKUP.sub("", _LINK.sub(link, text)))


def _rich_elements(message: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for block in message.get("blocks") or []:
        if block.get("type") == "rich_text":
            for section in block.get("elements") or []:
                yield from (e for e in section.get("elements") or [] if isinstance(e, dict))


def _rich_text(message: Mapping[str, Any], names: Mapping[str, str]) -> tuple[str, str | None]:
    """The rich_text blocks as text, and the first link's text (PagerDuty's incident title)."""
    parts, first_link = [], None
    for element in _rich_elements(message):
        kind = element.get("type")
        if kind == "text":
            parts.append(str(element.get("text", "")))
        elif kind == "link":
            text, url = str(element.get("text") or ""), str(element.get("url") or "")
            first_link = first_link or text or None
            parts.append(f"{text} ({url})" if text else url)
        elif kind == "user":
            uid = str(element.get("user_id"))
            parts.append("@" + names.get(uid, uid))
        elif kind == "channel":
            parts.append("#" + str(element.get("channel_id")))
        elif kind == "emoji":
            parts.append(f":{element.get('name')}:")
    return "".join(parts).strip(), first_link


def _field_line(text: str, names: Mapping[str, str]) -> str:
    """``*Host*\\ndb-1`` or ``*Host:* db-1`` → ``Host: db-1``."""
    key, _, value = plain(text, names).partition("\n")
    key = key.strip().rstrip(":")
    return f"{key}: {value.strip()}" if value.strip() else key


def _all_markup(message: Mapping[str, Any]) -> str:
    """Every string in the message, for mention and severity scans."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key not in ("ts", "bot_id", "user", "type", "_source", "_expect"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in message.items() if k in ("text", "attachments", "blocks")})
    return "\n".join(out)


def read_alert(message: Mapping[str, Any], names: Mapping[str, str] | None = None) -> Alert:
    """Subject, readable body, severity and fingerprint of any alert-bot or human message."""
    names = names or {}
    titles: list[str] = []
    body: list[str] = []
    for block in message.get("blocks") or []:
        kind = block.get("type")
        if kind == "header":
            titles.append(plain(str((block.get("text") or {}).get("text", "")), names))
        elif kind == "section":
            if text := (block.get("text") or {}).get("text"):
                body.append(plain(str(text), names))
            body += [_field_line(str(f.get("text", "")), names) for f in block.get("fields") or []]
        elif kind == "context":
            body += [
                plain(str(e.get("text", "")), names)
                for e in block.get("elements") or []
                if e.get("type") in ("mrkdwn", "plain_text")
            ]
    rich, link_title = _rich_text(message, names)
    if rich:
        body.insert(0, rich)
    if link_title:
        titles.append(plain(link_title, names))
    for attachment in message.get("attachments") or []:
        if attachment.get("pretext"):
            body.append(plain(str(attachment["pretext"]), names))
        if title := attachment.get("title"):
            titles.append(plain(str(title), names))
            if link := attachment.get("title_link"):
                body.append(f"{plain(str(title), names)} ({link})")
        if attachment.get("text"):
            body.append(plain(str(attachment["text"]), names))
        body += [
            f"{plain(str(f.get('title', '')), names)}: {plain(str(f.get('value', '')), names)}"
            for f in attachment.get("fields") or []
        ]
        if attachment.get("footer"):
            body.append(plain(str(attachment["footer"]), names))
    text = plain(str(message.get("text") or ""), names).strip()
    if text and not (message.get("blocks") and titles):  # blocks repeat text as a fallback
        body.insert(0, text)
    subject = next((t for t in titles if t.strip()), None) or _first_line("\n".join(body))
    return Alert(
        subject=_clean_subject(subject),
        body="\n".join(b for b in body if b.strip()),
        severity=severity_of(message),
        fingerprint=fingerprint_of(message),
    )


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip(" >#-•")
        if len(_SHORTCODE.sub("", line).strip()) >= 3:
            return line
    return text.strip()[:150]


def _clean_subject(subject: str) -> str:
    return re.sub(r"\s+", " ", _SHORTCODE.sub("", subject)).strip(" -–:·")


_CRITICAL = re.compile(r"\b(critical|crit|p1|sev-?1|sev 1|fatal|emergency|disaster)\b", re.I)
_WARNING = re.compile(r"\b(warning|warn|p2|p3|sev-?[23]|sev [23]|major|degraded)\b", re.I)
_RESOLVED = re.compile(r"\b(resolved|recovered|ok)\b|\[resolved\]", re.I)
_INFO = re.compile(r"\b(info|informational|p[45]|notice)\b", re.I)
_COLOURS = {"danger": Severity.CRITICAL, "warning": Severity.WARNING, "good": Severity.INFO}


def _colour_severity(colour: str) -> Severity | None:
    if colour.lower() in _COLOURS:
        return _COLOURS[colour.lower()]
    match = re.fullmatch(r"#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})", colour.lower())
    if not match:
        return None
    red, green, blue = (int(part, 16) for part in match.groups())
    if red > 180 and green < 100 and blue < 120:
        return Severity.CRITICAL
    if red > 180 and green >= 100 and blue < 100:
        return Severity.WARNING
    if green > 150 and red < 120:
        return Severity.INFO
    return None


def severity_of(message: Mapping[str, Any]) -> Severity | None:
    """Resolved beats everything; then severity words; then attachment colours."""
    text = _all_markup(message)
    head = text.splitlines()[0] if text else ""
    colours = [str(a.get("color", "")) for a in message.get("attachments") or []]
    by_colour = [s for s in map(_colour_severity, colours) if s is not None]
    if _RESOLVED.search(head) or "[RESOLVED]" in text or by_colour[:1] == [Severity.INFO]:
        return Severity.INFO
    if _CRITICAL.search(text):
        return Severity.CRITICAL
    if _WARNING.search(text):
        return Severity.WARNING
    if by_colour:
        return by_colour[0]
    return Severity.INFO if _INFO.search(text) else None


_RESOLVED_HEAD = re.compile(r"^\W*(resolved|recovered|incident resolved)\b|\[resolved\b", re.I)


def is_resolved(message: Mapping[str, Any]) -> bool:
    """Whether an alert message says its alert is over: Alertmanager's and Grafana's
    ``[RESOLVED]`` title, Datadog's *Recovered:*, PagerDuty's *Resolved* / *Incident resolved*.
    Only titles and first lines count: "not resolved" deep in a body must not end an alert."""
    heads = [str(message.get("text") or "").split("\n", 1)[0]]
    for attachment in message.get("attachments") or []:
        heads += [str(attachment.get(k) or "") for k in ("title", "fallback", "pretext")]
    for block in message.get("blocks") or []:
        if block.get("type") == "header":
            heads.append(str((block.get("text") or {}).get("text") or ""))
    rich, _ = _rich_text(message, {})
    heads.append(rich.split("\n", 1)[0])
    return any(_RESOLVED_HEAD.search(plain(head)) for head in heads if head)


def fingerprint_of(message: Mapping[str, Any]) -> str | None:
    """What identifies the alert across messages: Alertmanager's group key, Datadog's monitor,
    PagerDuty's incident, Grafana's rule."""
    for attachment in message.get("attachments") or []:
        for field in attachment.get("fields") or []:
            if str(field.get("title", "")).lower().replace("_", "") == "groupkey":
                return f"alertmanager:{field.get('value')}"
    text = _all_markup(message)
    for pattern, kind in (
        (r"datadoghq\.[a-z]+/monitors/(\d+)", "datadog:monitor"),
        (r"pagerduty\.com/incidents/(\w+)", "pagerduty:incident"),
        (r"/alerting/grafana/([\w-]+)/view", "grafana:rule"),
    ):
        if match := re.search(pattern, text):
            return f"{kind}:{match.group(1)}"
    return None
