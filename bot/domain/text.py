"""Plain-text helpers every layer may use."""

from __future__ import annotations

import re
import time


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut on a word boundary with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def utc_time(at: float) -> str:
    """``2026-12-03 10:42 UTC``: a time for text that cannot render Slack's date tokens."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))


_WHOLE = re.compile(r"-?[0-9]{1,18}")


def whole_number(text: str | None) -> int | None:
    """``text`` parsed as a whole number in ASCII digits (an optional minus sign); None for
    anything else. NOTE: ``str.isdigit`` says yes to "²" (which ``int`` refuses) and ``int``
    reads "٣" as 3: neither is a number a person typed for a form or an id."""
    if text is None or not _WHOLE.fullmatch(text):
        return None
    return int(text)


def size_text(size: int) -> str:
    """A file's size for people: "1.5 MB", "12.0 KB"."""
    if size >= 1_048_576:
        return f"{size / 1_048_576:.1f} MB"
    return f"{size / 1024:.1f} KB"
