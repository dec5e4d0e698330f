"""Plain-text helpers every layer may use."""

from __future__ import annotations

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
