"""Parsing the text after ``/ticket``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Verb(StrEnum):
    FILE = "file"
    HELP = "help"


@dataclass(frozen=True)
class TicketCommand:
    verb: Verb
    provider: str | None = None
    subject: str | None = None


def parse_ticket_command(text: str, providers: Iterable[str]) -> TicketCommand:
    """``/ticket [provider] [subject words]`` or ``/ticket help``."""
    words = text.split()
    if not words:
        return TicketCommand(Verb.FILE)
    if words[0].lower() in ("help", "-h", "--help", "?"):
        return TicketCommand(Verb.HELP)
    by_lower = {name.lower(): name for name in providers}
    provider = by_lower.get(words[0].lower())
    rest = words[1:] if provider else words
    return TicketCommand(Verb.FILE, provider=provider, subject=" ".join(rest) or None)


def usage(providers: Iterable[str]) -> str:
    names = ", ".join(f"`{name}`" for name in providers)
    return (
        "*/ticket* opens a form to file a ticket.\n"
        "• `/ticket` – pick a provider and fill the form\n"
        "• `/ticket <provider> <subject…>` – jump to a provider with the subject filled\n"
        "• *File a ticket* in any message's ⋯ menu – file about that message\n"
        f"Providers: {names}"
    )
