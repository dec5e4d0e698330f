"""Texts for the link commands: pure functions of what the store holds."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from bot.domain.records import Link, LinkChange
from bot.slack.views.text import escape

SOURCES = {
    "admin": "linked by an admin",
    "email_match": "matched by e-mail",
    "import": "imported",
    "unlink": "unlinked",
}


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))


def change_text(change: LinkChange) -> str:
    old, new = change.old or "nothing", change.new or "nothing"
    actor = f"<@{change.actor}>" if change.actor.startswith(("U", "W")) else escape(change.actor)
    return (
        f"Latest change: <@{change.user_id}> at {escape(change.provider)}: "
        f"`{escape(old)}` → `{escape(new)}` by {actor}, {_when(change.at)}."
    )


def links_text(
    links: Sequence[Link],
    latest: LinkChange | None,
    titles: Mapping[str, str],
    *,
    whose: str | None = None,
) -> str:
    if not links:
        lines = [f"No requester links{' for ' + whose if whose else ''} yet."]
    else:
        lines = [f"Requester links{' for ' + whose if whose else ''}:"]
        lines += [
            f"• <@{link.user_id}> → {escape(titles.get(link.provider, link.provider))} "
            f"`{escape(link.requester_id)}` ({SOURCES.get(link.source, link.source)})"
            for link in links[:50]
        ]
        if len(links) > 50:
            lines.append(f"…and {len(links) - 50} more: `ticketbot links export` lists all.")
    if latest is not None:
        lines.append(change_text(latest))
    return "\n".join(lines)


def whoami_text(rows: Sequence[tuple[str, str]]) -> str:
    """``rows``: (provider title, whom you file as)."""
    return "You file tickets as:\n" + "\n".join(
        f"• {escape(title)}: {escape(label)}" for title, label in rows
    )
