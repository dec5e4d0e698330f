"""The answer to ``/ticket list`` and ``/ticket find``: one page of tickets, ten at most, and a
*Next page* button, so a page stays far inside a message's 50 blocks however many there are."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.records import AlertPhase, TicketRecord
from bot.domain.text import truncate
from bot.slack.views.alert_notes import hours
from bot.slack.views.blocks import Block, actions, button, context, section
from bot.slack.views.ids import ActionId, BlockId
from bot.slack.views.text import escape, link


def ticket_line(
    ticket: TicketRecord, title: str, *, now: float, thread_link: str | None = None
) -> str:
    """*HostUp #10001* · subject / *open* · high · filed 2 h ago by @ana · thread."""
    number = link(ticket.url or thread_link, f"{title} #{ticket.number}")
    details = [f"*{escape(ticket.status or 'open')}*"]
    if ticket.alert is not None:
        details.append(
            "alert resolved" if ticket.alert.phase is AlertPhase.RESOLVED else "alert firing"
        )
    if ticket.priority:
        details.append(escape(ticket.priority))
    details.append(f"filed {hours(max(0.0, now - ticket.created_at))} ago by <@{ticket.filed_by}>")
    if thread_link and ticket.url:
        details.append(link(thread_link, "thread"))
    return f"{number} · {escape(truncate(ticket.subject, 200))}\n" + " · ".join(details)


def ticket_list_message(
    *,
    heading: str,
    tickets: Sequence[TicketRecord],
    titles: Mapping[str, str],
    now: float,
    thread_links: Mapping[int, str],
    page: int,
    next_value: str | None,
    empty: str,
) -> tuple[str, list[Block]]:
    """Fallback text and blocks of one page (``page`` counts from 1); ``next_value``: the
    sealed value of the *Next page* button, None on the last page."""
    where = f"{heading} · page {page}" if page > 1 or next_value else heading
    blocks: list[Block] = [context(where)]
    if not tickets:
        blocks.append(section(empty if page == 1 else "No more tickets."))
    for ticket in tickets:
        title = titles.get(ticket.provider, ticket.provider)
        blocks.append(
            section(ticket_line(ticket, title, now=now, thread_link=thread_links.get(ticket.id)))
        )
    if next_value is not None:
        blocks.append(
            actions(BlockId.LIST_PAGE, button(ActionId.LIST_PAGE, "Next page", next_value))
        )
    text = f"{heading}: {len(tickets)} ticket" + ("s" if len(tickets) != 1 else "")
    return text, blocks
