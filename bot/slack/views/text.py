"""Text that came from people, alerts or providers, made safe to post back to Slack."""

from __future__ import annotations

import re

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
