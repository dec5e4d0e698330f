"""``/ticket``: ack at once, then open the modal within the trigger_id's 3 seconds, or answer a
link command ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.drafts import ModalContext
from bot.domain.errors import UserFixable
from bot.domain.forms import CommonField
from bot.domain.records import TicketRecord
from bot.domain.tickets import Filer
from bot.slack.context import SlackContext
from bot.slack.listeners.command_text import TicketCommand, Verb, parse_ticket_command, usage
from bot.slack.listeners.jobs import after_ack
from bot.slack.listeners.modal_flow import show_form
from bot.slack.listeners.ticket_lists import answer_list, list_query
from bot.slack.views.links import linked_text, links_text, unlinked_text, whoami_text
from bot.slack.views.stats import stats_text
from bot.slack.views.text import escape
from bot.slack.views.ticket_card import ticket_card_of

COMMAND = "/ticket"


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.command(COMMAND)
    async def handle_ticket_command(
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: dict[str, Any],
    ) -> None:
        await ack()
        command = parse_ticket_command(body.get("text", ""), deps.providers)
        filer = Filer(
            team_id=body["team_id"],
            user_id=body["user_id"],
            name=body.get("user_name") or body["user_id"],
        )
        if command.verb is Verb.FILE:
            provider = command.provider
            if provider is None and (route := deps.routes.of(body.get("channel_id"))):
                provider = route.provider  # NOTE: still changeable in the form
            if provider is None and len(deps.providers) == 1:
                provider = next(iter(deps.providers))
            ctx = ModalContext(
                provider=provider,
                channel_id=body.get("channel_id"),
                response_url=body.get("response_url"),
            )
            values = {str(CommonField.SUBJECT): command.subject} if command.subject else None
            work = show_form(
                deps,
                client,
                context,
                ctx=ctx,
                filer=filer,
                values=values,
                trigger_id=body["trigger_id"],
            )
        elif command.verb in (Verb.LIST, Verb.FIND) and not command.problem:
            query = list_query(command, filer.team_id, filer.user_id, body.get("channel_id"))
            work = answer_list(deps, body.get("response_url"), query)
        else:
            work = answer(deps, body.get("response_url"), command, filer, body.get("channel_id"))
        after_ack(deps, client, body, context, work)


async def answer(
    deps: SlackContext,
    response_url: str | None,
    command: TicketCommand,
    filer: Filer,
    channel_id: str | None = None,
) -> None:
    """Every command that is not a modal answers ephemerally, refusals included."""
    if command.problem:
        raise UserFixable(command.problem)
    team, actor = filer.team_id, filer.user_id
    links = deps.links
    if command.verb is Verb.HELP:
        text = usage(deps.providers) + route_help(deps, channel_id)
    elif command.verb is Verb.STATS:
        figures = await deps.response_times.figures(team, command.provider, command.days)
        text = stats_text(figures, command.days)
    elif command.verb is Verb.STATUS:
        assert command.subject is not None
        text = await ticket_status(deps, team, actor, command.subject)
    elif command.verb is Verb.WHOAMI:
        rows = await links.whoami(await deps.users.filer(team, actor, filer.name))
        text = whoami_text(rows, deps.access.admins_text())
    elif command.verb is Verb.LINK:
        assert command.user_id is not None
        assert command.provider is not None
        assert command.requester_id is not None
        linked = await links.link(
            actor=actor,
            team_id=team,
            user_id=command.user_id,
            provider=command.provider,
            requester_id=command.requester_id,
        )
        text = linked_text(command.user_id, linked.title, linked.requester_id, linked.old)
    elif command.verb is Verb.UNLINK:
        assert command.user_id is not None
        count = await links.unlink(
            actor=actor, team_id=team, user_id=command.user_id, provider=command.provider
        )
        where = deps.provider_titles[command.provider] if command.provider else "every provider"
        text = unlinked_text(command.user_id, count, where)
    else:
        found = await links.listing(actor=actor, team_id=team, user_id=command.user_id)
        whose = f"<@{command.user_id}>" if command.user_id else None
        text = links_text(found.links, found.latest, deps.provider_titles, whose=whose)
    if not await deps.responses.send(response_url, text=text, response_type="ephemeral"):
        await deps.slack.chat_postMessage(channel=actor, text=text)


def route_help(deps: SlackContext, channel_id: str | None) -> str:
    """Which route this channel is in, if any, and what its emoji does."""
    route = deps.routes.of(channel_id)
    emoji = deps.options.file_emoji
    if route is None:
        where = "\nThis channel has no route: the form asks for a provider."
        if emoji:
            where += f" React with :{emoji}: to a message to get a *File a ticket* button."
        return where
    title = deps.provider_titles.get(route.provider, route.provider)
    text = f"\nThis channel routes to *{escape(title)}*"
    if route.defaults:
        pairs = ", ".join(f"{escape(k)} = {escape(v)}" for k, v in route.defaults.items())
        text += f", with {pairs} filled in"
    text += "."
    if emoji:
        does = (
            "files the message at once"
            if route.on_emoji.value == "file"
            else "offers a *File a ticket* button"
        )
        text += f" Reacting with :{emoji}: {does}."
    return text


async def ticket_status(deps: SlackContext, team_id: str, actor: str, number: str) -> str:
    """The current state of every ticket with this number that ``actor`` may read (see
    ``Access.may_read``), read live where possible."""

    async def may_read(record: TicketRecord) -> bool:
        return await deps.access.may_read(
            actor, filed_by=record.filed_by, filed_from=record.filed_from
        )

    records = await deps.following.readable(team_id, number, may_read)
    if not records:
        # NOTE: the same answer whether it exists or not: numbers are sequential.
        raise UserFixable(f"No ticket #{escape(number)} that you can see.")
    lines = []
    for record in records[:5]:
        status = await deps.following.live_status(record)
        text, _ = ticket_card_of(record, deps.following.title(record.provider), status=None)
        lines.append(f"{text} · status *{escape(status)}*")
    return "\n".join(lines)
