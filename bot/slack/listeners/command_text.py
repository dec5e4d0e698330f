"""Parsing the text after ``/ticket``.

NOTE: the manifest sets ``should_escape: true`` so Slack sends mentions as ``<@U123|name>``
(with escaping off they arrive as plain "@name", which names no one reliably).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.alerts.text import plain
from bot.domain.text import whole_number
from bot.slack.views.text import escape

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


class Verb(StrEnum):
    FILE = "file"
    HELP = "help"
    LINK = "link"
    UNLINK = "unlink"
    LINKS = "links"
    WHOAMI = "whoami"
    STATUS = "status"
    STATS = "stats"
    LIST = "list"
    FIND = "find"


@dataclass(frozen=True)
class TicketCommand:
    verb: Verb
    provider: str | None = None
    subject: str | None = None
    user_id: str | None = None  # the @user a link command names
    requester_id: str | None = None
    problem: str | None = None  # why the command's words do not parse
    days: float = 30  # /ticket stats: the window
    mine: bool = False  # /ticket list mine: the asker's tickets, not the channel's


def mention(word: str) -> str | None:
    match = MENTION.match(word)
    return match.group(1) if match else None


def _link_command(verb: Verb, args: list[str], by_lower: dict[str, str]) -> TicketCommand:
    shapes = {
        Verb.LINK: "`/ticket link @user <provider> <requester id>`",
        Verb.UNLINK: "`/ticket unlink @user <provider|all>`",
        Verb.LINKS: "`/ticket links [@user]`",
    }
    wrong = TicketCommand(verb, problem=f"Use {shapes[verb]}.")
    if verb is Verb.LINKS:
        if not args:
            return TicketCommand(verb)
        user = mention(args[0])
        return TicketCommand(verb, user_id=user) if user and len(args) == 1 else wrong
    expected = 3 if verb is Verb.LINK else 2
    if len(args) != expected or (user := mention(args[0])) is None:
        return wrong
    name = args[1].lower()
    if verb is Verb.UNLINK and name == "all":
        return TicketCommand(verb, user_id=user)
    if name not in by_lower:
        known = ", ".join(f"`{n}`" for n in by_lower.values())
        return TicketCommand(
            verb, problem=f"No provider called `{escape(args[1])}`. Known: {known}."
        )
    requester = args[2] if verb is Verb.LINK else None
    return TicketCommand(verb, provider=by_lower[name], user_id=user, requester_id=requester)


def _stats_command(args: list[str], by_lower: dict[str, str]) -> TicketCommand:
    """``/ticket stats [provider] [days]``, in either order."""
    provider, days = None, 30.0
    for word in args:
        if word.lower() in by_lower and provider is None:
            provider = by_lower[word.lower()]
        elif (n := whole_number(word.removesuffix("d"))) is not None and 1 <= n <= 365:
            days = float(n)
        else:
            known = ", ".join(f"`{n}`" for n in by_lower.values())
            return TicketCommand(
                Verb.STATS,
                problem=f"Use `/ticket stats [provider] [days]` (days 1–365; providers: {known}).",
            )
    return TicketCommand(Verb.STATS, provider=provider, days=days)


def _list_command(args: list[str], by_lower: dict[str, str]) -> TicketCommand:
    """``/ticket list [mine] [provider]``, in either order."""
    provider, mine = None, False
    for word in args:
        if word.lower() == "mine" and not mine:
            mine = True
        elif word.lower() in by_lower and provider is None:
            provider = by_lower[word.lower()]
        else:
            known = ", ".join(f"`{n}`" for n in by_lower.values())
            return TicketCommand(
                Verb.LIST, problem=f"Use `/ticket list [mine] [provider]` (providers: {known})."
            )
    return TicketCommand(Verb.LIST, provider=provider, mine=mine)


def parse_ticket_command(text: str, providers: Iterable[str]) -> TicketCommand:
    """``/ticket [provider] [subject words]``, ``help``, ``whoami``, and the link commands."""
    words = text.split()
    by_lower = {name.lower(): name for name in providers}
    if not words:
        return TicketCommand(Verb.FILE)
    first = words[0].lower()
    if first in ("help", "-h", "--help", "?"):
        return TicketCommand(Verb.HELP)
    if first == "whoami" and len(words) == 1:
        return TicketCommand(Verb.WHOAMI)
    if first == Verb.STATUS:
        if len(words) != 2:
            return TicketCommand(Verb.STATUS, problem="Use `/ticket status <number>`.")
        return TicketCommand(Verb.STATUS, subject=words[1].lstrip("#"))
    if first == Verb.STATS:
        return _stats_command(words[1:], by_lower)
    if first == Verb.LIST:
        return _list_command(words[1:], by_lower)
    if first == Verb.FIND:
        if len(words) < 2:
            return TicketCommand(Verb.FIND, problem="Use `/ticket find <words>`.")
        return TicketCommand(Verb.FIND, subject=" ".join(words[1:]))
    if first in (Verb.LINK, Verb.UNLINK, Verb.LINKS):
        return _link_command(Verb(first), words[1:], by_lower)
    provider = by_lower.get(first)
    rest = words[1:] if provider else words
    return TicketCommand(Verb.FILE, provider=provider, subject=plain(" ".join(rest)) or None)


def usage(providers: Iterable[str]) -> str:
    names = ", ".join(f"`{name}`" for name in providers)
    return (
        "*/ticket* opens a form to file a ticket.\n"
        "• `/ticket` – pick a provider and fill the form\n"
        "• `/ticket <provider> <subject…>` – jump to a provider with the subject filled\n"
        "• *File a ticket* in any message's ⋯ menu – file about that message\n"
        "• *Add to a ticket* in any message's ⋯ menu – add it to a ticket already filed\n"
        "• `/ticket status <number>` – a ticket's current state\n"
        "• `/ticket list [mine] [provider]` – this channel's open tickets (or yours)\n"
        "• `/ticket find <words>` – tickets whose subject or description has the words\n"
        "• A ticket link posted in a channel is previewed where everyone there may see it\n"
        "• `/ticket whoami` – whom you file as at each provider\n"
        "• `/ticket stats [provider] [days]` – how fast each provider answers (30 days)\n"
        "• Admins: `/ticket link @user <provider> <requester id>`, "
        "`/ticket unlink @user <provider|all>`, `/ticket links [@user]`\n"
        f"Providers: {names}"
    )
