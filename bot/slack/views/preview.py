"""A ticket link's preview (``chat.unfurl``): provider, number, subject, status, priority,
filer, age, and its alert's state if it has one."""

from __future__ import annotations

from typing import Any

from bot.domain.records import TicketRecord
from bot.slack.views.blocks import context, section
from bot.slack.views.ticket_list import ticket_line


def ticket_preview(ticket: TicketRecord, title: str, *, now: float) -> dict[str, Any]:
    """One ``unfurls`` entry: the ticket's line, and where it was filed from."""
    head, details = ticket_line(ticket, title, now=now).split("\n", 1)
    blocks = [section(f":ticket: {head}"), context(details)]
    return {"blocks": blocks}
