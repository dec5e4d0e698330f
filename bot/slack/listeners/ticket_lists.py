"""``/ticket list [mine] [provider]`` and ``/ticket find <words>``: one page, ephemeral, and its
*Next page* button, which replaces the page in place.

Each page is read for whoever clicks, with the rule of ``/ticket status`` (``Access.may_read``):
the button's query is sealed for the person who asked, so nobody else can page through it.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import UserFixable
from bot.slack.context import SlackContext
from bot.slack.home import permalinks
from bot.slack.listeners.command_text import TicketCommand, Verb
from bot.slack.listeners.jobs import after_ack
from bot.slack.seal import LIST_PURPOSE
from bot.slack.views.blocks import Block
from bot.slack.views.ids import ActionId
from bot.slack.views.text import escape
from bot.slack.views.ticket_list import ticket_list_message
from bot.tickets.listing import ListKind, Page, TicketQuery

MAX_WORDS_KEPT = 300  # characters of a search kept in the button (its value holds 2,000)


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.action(ActionId.LIST_PAGE)
    async def handle_ticket_list_page_action(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        after_ack(deps, client, body, context, next_page(deps, body))


def list_query(
    command: TicketCommand, team_id: str, user_id: str, channel_id: str | None
) -> TicketQuery:
    """What ``/ticket list`` or ``/ticket find`` asks for, for ``user_id`` in ``channel_id``."""
    if command.verb is Verb.FIND:
        kind = ListKind.FIND
    else:
        kind = ListKind.MINE if command.mine or not channel_id else ListKind.CHANNEL
    return TicketQuery(
        kind=kind,
        team_id=team_id,
        user_id=user_id,
        channel_id=channel_id,
        provider=command.provider,
        words=(command.subject or "")[:MAX_WORDS_KEPT],
    )


async def answer_list(deps: SlackContext, response_url: str | None, query: TicketQuery) -> None:
    """The first page, ephemerally (or by DM where the response_url is refused)."""
    text, blocks = await _page_message(deps, query, cursor=None, page=1)
    if not await deps.responses.send(
        response_url, response_type="ephemeral", text=text, blocks=blocks
    ):
        await deps.slack.chat_postMessage(channel=query.user_id, text=text, blocks=blocks)


async def next_page(deps: SlackContext, body: dict[str, Any]) -> None:
    """The page a *Next page* button points to, in place of the one it was on."""
    user = body.get("user") or {}
    user_id = str(user.get("id") or "")
    action = (body.get("actions") or [{}])[0]
    opened = deps.seal.open(str(action.get("value") or ""), f"{LIST_PURPOSE}:{user_id}")
    if opened is None:
        raise UserFixable("That button could not be verified; run the command again.")
    state = json.loads(opened)
    query = TicketQuery(
        kind=ListKind(state["k"]),
        team_id=str(state["t"]),
        user_id=user_id,
        channel_id=state.get("c"),
        provider=state.get("p"),
        words=str(state.get("w") or ""),
    )
    text, blocks = await _page_message(deps, query, cursor=int(state["x"]), page=int(state["n"]))
    await deps.responses.send(
        body.get("response_url"), replace_original=True, text=text, blocks=blocks
    )


async def _page_message(
    deps: SlackContext, query: TicketQuery, *, cursor: int | None, page: int
) -> tuple[str, list[Block]]:
    if query.provider is not None and query.provider not in deps.providers:
        raise UserFixable(f"No provider called `{escape(query.provider)}`.")
    if query.channel_id and await deps.access.shared_outside(query.channel_id):
        raise UserFixable(
            "Ticket lists and searches are off here: this channel is shared with another "
            "organisation, or the bot cannot read it. Ask in one of your own channels the bot "
            "is in, or in a DM with the bot."
        )

    found: Page = await deps.lists.page(query, deps.access.reader(query.user_id), cursor)
    wanted = {t.id: (t.channel_id, t.card_ts) for t in found.tickets if t.card_ts}
    next_value = None
    if found.cursor is not None:
        state = {
            "k": query.kind.value,
            "t": query.team_id,
            "c": query.channel_id,
            "p": query.provider,
            "w": query.words,
            "x": found.cursor,
            "n": page + 1,
        }
        next_value = deps.seal.seal(
            json.dumps(state, separators=(",", ":")), f"{LIST_PURPOSE}:{query.user_id}"
        )
    return ticket_list_message(
        heading=_heading(deps, query),
        tickets=found.tickets,
        titles=deps.provider_titles,
        now=deps.clock(),
        thread_links=await permalinks(deps.slack, wanted),
        page=page,
        next_value=next_value,
        empty=_empty(query),
    )


def _heading(deps: SlackContext, query: TicketQuery) -> str:
    at = f" at {escape(deps.provider_titles[query.provider])}" if query.provider else ""
    if query.kind is ListKind.FIND:
        return f"Tickets{at} matching “{escape(query.words[:100])}”, best first"
    if query.kind is ListKind.MINE:
        return f"Your open tickets{at}, newest first"
    return f"Open tickets{at} filed from <#{query.channel_id}>, newest first"


def _empty(query: TicketQuery) -> str:
    if query.kind is ListKind.FIND:
        return "No ticket that you can see matches those words."
    if query.kind is ListKind.MINE:
        return "You have no open tickets."
    return "No open tickets were filed from this channel (`/ticket list mine` lists yours)."
