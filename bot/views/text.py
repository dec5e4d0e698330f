"""Text that came from people or alerts, made safe to post back to Slack."""

from __future__ import annotations


def escape(text: str) -> str:
    """Escape Slack's three control characters so user text cannot ping or forge links.

    NOTE: Slack documents exactly &, < and > as the characters to escape
    (api.slack.com/reference/surfaces/formatting#escaping); `<!channel>` then shows literally.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut on a word boundary with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"
