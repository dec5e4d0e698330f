"""Text that came from people, alerts or providers, made safe to post back to Slack."""

from __future__ import annotations

import json
import re
from typing import Any

# NOTE: bidirectional overrides and isolates (U+202A-202E, U+2066-2069) reorder what a reader
# sees ("Trojan Source", CVE-2021-42574); zero-width characters (U+200B-200F, U+2060, U+FEFF,
# U+061C) hide text and break mentions and search. None belongs in a ticket card.
INVISIBLE = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0x200B, 0x2010), 0x2060, 0xFEFF, 0x61C]
)
URL_OK = re.compile(r"^https?://[^\s<>|]+$")


def strip_invisible(text: str) -> str:
    """``text`` without bidi controls and zero-width characters."""
    return text.translate(INVISIBLE) if not text.isascii() else text


# NOTE: sealed on the way out and checked on the way back: never rewritten
SEALED_KEYS = frozenset({"private_metadata", "value"})
# one of INVISIBLE, as it is (a body that is not ASCII) or JSON-escaped; a dash or an ellipsis
# (U+2014, U+2026) is neither, and most views hold one
_INVISIBLE_CHAR = re.compile("[" + "".join(map(chr, INVISIBLE)) + "]")
_ESCAPED = re.compile(r"\\u(?:200[b-fB-F]|202[a-eA-E]|206[06-9]|[fF][eE][fF][fF]|061[cC])")


def strip_invisible_json(body: str) -> str | None:
    """A JSON request body for Slack with the hiding and reordering characters taken out of
    every string (but sealed values); None when there is nothing to take out.

    The one place every post passes (the Slack session's middleware), so no path that posts
    text from outside (an alert, a provider's answer, a file name) can skip it.
    """
    if not _ESCAPED.search(body) and (body.isascii() or not _INVISIBLE_CHAR.search(body)):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    clean = _strip_all(data)
    return None if clean == data else json.dumps(clean)


def _strip_all(value: Any, key: str | None = None) -> Any:
    if isinstance(value, str):
        return value if key in SEALED_KEYS else strip_invisible(value)
    if isinstance(value, dict):
        return {k: _strip_all(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_all(v, key) for v in value]
    return value


def escape(text: str) -> str:
    """Escape Slack's three control characters so user text cannot ping or forge links, and
    drop the characters that hide or reorder text.

    NOTE: Slack documents exactly &, < and > as the characters to escape
    (api.slack.com/reference/surfaces/formatting#escaping); `<!channel>` then shows literally.
    """
    return strip_invisible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str:
    """``<url|label>`` with the label escaped; the label alone when the URL is not a plain
    http(s) URL (a ``|``, ``<``, ``>`` or space in it would end the link and let the rest be
    read as markup)."""
    if not url or not URL_OK.match(url):
        return escape(label)
    return f"<{url.replace('&', '&amp;')}|{escape(label)}>"
