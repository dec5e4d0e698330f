"""Small readers the tools' modules share: who sent it, a link's query, a body's facts.

Each is linear in the message's size and never raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlsplit

from bot.alerts import generic
from bot.alerts.shape import Message
from bot.alerts.text import without_shortcodes

_URL = re.compile(r"https?://[^\s<>|\"'`]{1,2000}")
_FACT = re.compile(r"^\s{0,8}[*_]?([A-Za-z][\w .()/-]{0,40}?)[*_]?\s?:[*_]?\s+(\S.{0,500})")
_LINKED = re.compile(r"\s{0,5}\(https?://[^\s()]{1,2000}\)")
PAREN_TAIL_KEPT = 2000  # the longest ``(…)`` tail ``without_paren_tail`` drops


def urls(message: Message) -> list[str]:
    return _URL.findall(message.all_text)


def link_params(message: Message, has: str) -> dict[str, str]:
    """The query of the first link whose (decoded) text contains ``has``, decoded once more
    (Checkmk nests its view's query in ``start_url``)."""
    for url in urls(message):
        decoded = unquote(url.replace("&amp;", "&"))
        if has in decoded:
            parts = urlsplit(decoded)
            query = parts.query or parts.fragment.partition("?")[2]
            inner = dict(parse_qsl(query, max_num_fields=100))
            if "start_url" in inner:
                inner |= dict(parse_qsl(urlsplit(inner["start_url"]).query, max_num_fields=100))
            return inner
    return {}


def search(pattern: re.Pattern[str], message: Message) -> re.Match[str] | None:
    return pattern.search(message.all_text)


@lru_cache(maxsize=8)
def facts(message: Message) -> Mapping[str, str]:
    """``Key: value`` lines of the body, keys lower-cased, the first of each kept; a value's
    trailing ``(link)`` is dropped."""
    found: dict[str, str] = {}
    for line in generic.body(message, {}).splitlines()[:500]:  # computed once per message
        if match := _FACT.match(line):
            key = match.group(1).strip().lower()
            found.setdefault(key, without_link(match.group(2)).strip())
    return found


def without_link(text: str) -> str:
    """``db01 (https://…)`` → ``db01``."""
    return _URL.sub("", _LINKED.sub("", text)).strip()


def without_paren_tail(text: str) -> str:
    """``InstanceDown api-1 (node critical)`` → ``InstanceDown api-1``: a last ``(…)`` of at
    most ``PAREN_TAIL_KEPT`` characters holding no parenthesis, and the spaces around it.

    NOTE: string methods, not a regex: the regex (spaces, a parenthesised tail, spaces, end) tried
    every start in a run of spaces (1.3 s for 40,000 of them, on the event loop)."""
    stripped = text.rstrip()
    if not stripped.endswith(")"):
        return text
    opening = stripped.rfind("(", max(0, len(stripped) - PAREN_TAIL_KEPT - 2))
    if opening == -1 or ")" in stripped[opening + 1 : -1]:
        return text
    return stripped[:opening].rstrip()


def first_head(message: Message) -> str:
    """The first title or first line, plain, without emoji shortcodes."""
    found = generic.heads(message)
    return without_shortcodes(found[0]).strip() if found else ""


def head_matching(pattern: re.Pattern[str], message: Message) -> re.Match[str] | None:
    for head in generic.heads(message):
        if match := pattern.search(without_shortcodes(head).strip()):
            return match
    return None
