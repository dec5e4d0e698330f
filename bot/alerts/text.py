"""Slack markup → plain words, in linear time.

Every pattern here matches a bounded or a possessive-in-effect shape (a maximal run decided in
a callback), so no input backtracks: ``a`` + ``*``×40,000 + ``b`` reads in milliseconds. The
input is cut to ``MAX_TEXT`` before any parsing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# NOTE: Slack truncates a message's text at 40,000 characters (chat.postMessage)
MAX_TEXT = 40_000

# NOTE: a link or mention is <target> or <target|label> (Slack's formatting reference)
_LINK = re.compile(r"<([^<>|]{1,3000})(?:\|([^<>]{0,3000}))?>")
_USER_ID = re.compile(r"<@([UW][A-Z0-9]{1,20})(?:\|[^<>]{0,200})?>")
# NOTE: bold is a *pair* of stars around text that starts and ends with a non-space
# (Slack's mrkdwn); the inner text holds no star, so each character is scanned once.
_BOLD = re.compile(r"(?<![\w*])(\*{1,3})([^*\s](?:[^*\n]{0,3000}[^*\s])?)\*{1,3}(?![\w*])")
_TICKS = re.compile(r"`+")
_SHORTCODE = re.compile(r"(?<!\w):([a-z0-9_+'-]{1,60}):")
_URL = re.compile(r"\bhttps?://[^\s<>()]{1,2000}")
_SPACES = re.compile(r"\s+")
# NOTE: Slack escapes only &, < and > in text (api.slack.com/reference/surfaces/formatting);
# html.unescape would also read "&not" in a URL's "&notification=" as "¬".
_ENTITY = re.compile(r"&(amp|lt|gt|quot|#39);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "#39": "'"}
# bidi controls and zero-width characters: never part of a subject a person reads
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def cap(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[:limit]


def plain(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack markup → readable text: ``<url|label>`` → ``label (url)``, ``<@U1>`` → ``@Ana``,
    ``<#C1|ops>`` → ``#ops``, ``<!here>`` → ``@here``, entities decoded, bold/code marks gone."""
    found = names or {}

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "@" + found.get(target[1:], label or target[1:])
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

    # each pass only where its mark is present: most pieces of a message hold none of them
    text = cap(text)
    if "<" in text:
        text = _LINK.sub(link, text)
    if "*" in text:
        text = _BOLD.sub(r"\2", text)
    if "`" in text:
        text = _TICKS.sub("", text)
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    return text if text.isascii() else _INVISIBLE.sub("", text)  # the invisibles are not ASCII


def _entity(match: re.Match[str]) -> str:
    return _ENTITIES[match.group(1)]


def mentioned(text: str) -> set[str]:
    """User ids of the ``<@U…>`` mentions in ``text``."""
    return set(_USER_ID.findall(cap(text)))


def without_shortcodes(text: str) -> str:
    """``:fire: Disk full`` → `` Disk full``; times such as ``10:35:00`` stay as they are."""

    def drop(match: re.Match[str]) -> str:
        code = match.group(1)
        return "" if code in ("+1", "-1") or any(c.isalpha() for c in code) else match.group(0)

    return _SHORTCODE.sub(drop, text)


def without_urls(text: str) -> str:
    return _URL.sub("", text)


def one_line(text: str) -> str:
    """Whitespace collapsed to single spaces, trimmed."""
    return _SPACES.sub(" ", text).strip()


def clean_subject(text: str, limit: int = 250) -> str:
    """A subject a person would type: no emoji shortcodes, no URLs, no markup, one line."""
    text = one_line(without_urls(without_shortcodes(text)))
    text = text.replace("()", "").replace("[]", "")
    return one_line(text).strip(" -–—:·|,;")[:limit]
