"""Texts for the link commands: pure functions of what the store holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.records import Link, LinkChange
from bot.domain.text import utc_time
from bot.domain.tickets import Requester
from bot.slack.views.text import escape

SOURCES = {
    "admin": "linked by an admin",
    "email_match": "matched by e-mail",
    "import": "imported",
    "unlink": "unlinked",
}


def change_text(change: LinkChange) -> str:
    old, new = change.old or "nothing", change.new or "nothing"
    actor = f"<@{change.actor}>" if change.actor.startswith(("U", "W")) else escape(change.actor)
    return (
        f"Latest change: <@{change.user_id}> at {escape(change.provider)}: "
        f"`{escape(old)}` → `{escape(new)}` by {actor}, {utc_time(change.at)}."
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


def whoami_text(rows: Sequence[tuple[str, Requester | None, bool]], admins: str) -> str:
    """``rows``: (provider title, whom you file as, whether an admin must link you first);
    ``admins``: who the admins are, as mentions."""

    def label(requester: Requester | None, not_linked: bool) -> str:
        if not_linked:
            return f"not linked: ask an admin ({admins})"
        return escape(requester.label) if requester else "unknown"

    return "You file tickets as:\n" + "\n".join(
        f"• {escape(title)}: {label(requester, not_linked)}"
        for title, requester, not_linked in rows
    )


def linked_text(user_id: str, title: str, requester_id: str, old: str | None) -> str:
    was = f" (was `{escape(old)}`)" if old and old != requester_id else ""
    title = escape(title)
    return (
        f"Linked <@{user_id}> to {title} requester `{escape(requester_id)}`{was}. "
        f"Their tickets at {title} are now filed as that requester."
    )


def unlinked_text(user_id: str, count: int, where: str) -> str:
    if not count:
        return f"<@{user_id}> had no link at {escape(where)}."
    return f"Removed {count} link{'s' * (count != 1)} of <@{user_id}> ({escape(where)})."
