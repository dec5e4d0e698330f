"""Plain-text helpers every layer may use."""

from __future__ import annotations


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut on a word boundary with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"
