"""Filing by emoji: the ``file_emoji`` reaction on a message either offers the reactor a
*File a ticket* button (the shortcut's prefilled form, answering in the message's thread) or,
in a route with ``on_emoji = "file"``, files it at once as the reactor.

A message already filed answers with its ticket, however many people react; removing the
reaction changes nothing (``reaction_removed`` is not subscribed); bots' reactions are ignored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import NotAllowed, UserFixable
from bot.domain.records import SubmissionState, TicketRecord
from bot.providers.base import takes_replies
from bot.slack import thread_talk
from bot.slack.context import SlackContext
from bot.slack.listeners.jobs import after_ack, told_to
from bot.slack.listeners.shortcuts import (
    already_filed,
    message_context,
    open_prefilled,
    previously_filed,
)
from bot.slack.seal import ADD_PURPOSE, REACTION_PURPOSE
from bot.slack.views.blocks import button
from bot.slack.views.ids import ActionId
from bot.slack.views.reaction import file_prompt
from bot.tickets.auto_filing import Filing, InHand, NotFiled, Reacted

log = logging.getLogger(__name__)
FETCH_SECONDS = 1.0
ANOTHER = "To file another anyway, use *File a ticket* in the message's menu."


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.event("reaction_added")
    async def handle_reaction_added_event(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        emoji = deps.options.file_emoji
        item = event.get("item") or {}
        user = str(event.get("user") or "")
        if (
            not emoji
            or event.get("reaction") != emoji
            or item.get("type") != "message"
            or not user
            or user == context.get("bot_user_id")
        ):
            return
        reporter = told_to(user, body.get("team_id"))
        # NOTE: nobody stares at a modal for it: it gives way to Slack's requests and modals
        work = on_reaction(deps, body, event)
        after_ack(deps, client, reporter, context, work, deferred=True)

    @app.action(ActionId.FILE_FROM_REACTION)
    async def handle_file_from_reaction_action(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        after_ack(deps, client, body, context, open_from_button(deps, client, body, context))


async def on_reaction(deps: SlackContext, body: dict[str, Any], event: dict[str, Any]) -> None:
    team_id = str(body.get("team_id") or "")
    item = event["item"]
    channel_id, ts, user_id = str(item["channel"]), str(item["ts"]), str(event["user"])
    if not await deps.filing.first_time(f"reaction:{channel_id}:{ts}:{user_id}"):
        return  # NOTE: re-delivered by Slack, or the same person reacting again
    if await deps.users.is_bot(team_id, user_id):
        return

    async def say(text: str) -> None:
        await _ephemeral(deps, channel_id, user_id, text=text)

    try:
        await deps.access.require_may_file(user_id, channel_id)
    except NotAllowed as exc:  # NOTE: our own words, with mentions of channels and groups
        await say(exc.message)
        return
    message = await fetch_message(deps.slack, channel_id, ts)
    if message is None:
        await say("I cannot read that message, so I cannot file it. Invite me to the channel.")
        return
    reactor = await deps.users.filer(team_id, user_id, user_id)
    ctx, values = await message_context(
        deps,
        deps.slack,
        reactor,
        channel_id=channel_id,
        channel_name=None,
        message=message,
        response_url=None,
        domain=None,
        ours=thread_talk.ours({}, body),
    )
    reacted = await deps.auto_filing.react(reactor, ctx, values)
    await tell_reactor(deps, reacted, channel_id, ts, user_id)


async def tell_reactor(
    deps: SlackContext, reacted: Reacted, channel_id: str, ts: str, user_id: str
) -> None:
    """What the reaction came to, in an ephemeral message: the ticket filed already, or the
    *File a ticket* button (with why it was not filed at once, and what was filed before);
    nothing when it is filed at once (the card says it)."""

    async def say(text: str) -> None:
        await _ephemeral(deps, channel_id, user_id, text=text)

    earlier, notice, reason, offer = reacted.earlier, None, None, None
    if earlier is not None and reacted.duplicate:
        if earlier.source_ts == ts:
            await say(await already_filed(deps, deps.slack, earlier, ANOTHER))
            return
        # NOTE: the alert again, in a new message
        offer = reaction_offer(deps, user_id, channel_id, ts, earlier)
        notice = (await already_filed(deps, deps.slack, earlier, "")).rstrip(". ") + "."
    elif earlier is not None:
        notice = previously_filed(deps, earlier)
    match reacted.filed:
        case Filing():
            return
        case InHand(submission) if submission.state is SubmissionState.FAILED:
            reason = f"filing it at once failed ({submission.last_error})"
        case InHand(submission):
            await say(f"<@{submission.user_id}> is filing this already; the card follows.")
            return
        case NotFiled(why):
            reason = why
    sealed = deps.seal.seal(f"{channel_id}|{ts}", REACTION_PURPOSE)
    prompt = file_prompt(sealed, reason=reason, notice=notice, offer=offer)
    await _ephemeral(deps, channel_id, user_id, **prompt)


async def _ephemeral(deps: SlackContext, channel_id: str, user_id: str, **message: Any) -> None:
    await deps.slack.chat_postEphemeral(channel=channel_id, user=user_id, **message)


def reaction_offer(
    deps: SlackContext, user_id: str, channel_id: str, ts: str, ticket: TicketRecord
) -> dict[str, Any]:
    """*Add to HostUp #10001* for the reactor: the message and the ticket, sealed for them."""
    provider = deps.providers.get(ticket.provider)
    title = provider.title if provider else ticket.provider
    verb = "Add to" if takes_replies(provider) else "Follow"
    value = deps.seal.seal(f"{channel_id}|{ts}|{ticket.id}", f"{ADD_PURPOSE}:{user_id}")
    label = f"{verb} {title} #{ticket.number}"
    return button(ActionId.ADD_FROM_REACTION, label, value, style="primary")


async def fetch_message(client: AsyncWebClient, channel_id: str, ts: str) -> dict[str, Any] | None:
    """The message at ``ts``: from the channel's history, else from its thread (a reply is
    not in the history). None if the bot cannot read it, or Slack does not say within
    ``FETCH_SECONDS`` (a button's trigger_id lives 3 s, and the form still has to open)."""
    try:
        async with asyncio.timeout(FETCH_SECONDS):
            return await _fetch_message(client, channel_id, ts)
    except TimeoutError:
        log.info("a reacted message was not read in time")
        return None


async def _fetch_message(client: AsyncWebClient, channel_id: str, ts: str) -> dict[str, Any] | None:
    try:
        found = await client.conversations_history(
            channel=channel_id, latest=ts, oldest=ts, inclusive=True, limit=1
        )
        for message in found.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
        found = await client.conversations_replies(
            channel=channel_id, ts=ts, latest=ts, oldest=ts, inclusive=True, limit=1
        )
    except SlackApiError as exc:
        log.info("cannot read a reacted message", extra={"error": exc.response.get("error")})
        return None
    return next((dict(m) for m in found.get("messages") or [] if m.get("ts") == ts), None)


async def open_from_button(
    deps: SlackContext, client: AsyncWebClient, body: dict[str, Any], context: dict[str, Any]
) -> None:
    """The reactor's button: the shortcut's prefilled form about that message."""
    action = (body.get("actions") or [{}])[0]
    opened = deps.seal.open(str(action.get("value") or ""), REACTION_PURPOSE)
    if opened is None or "|" not in opened:
        raise UserFixable("That button could not be verified; use *File a ticket* on the message.")
    channel_id, ts = opened.split("|", 1)
    message = await fetch_message(client, channel_id, ts)
    if message is None:
        raise UserFixable("That message is gone, or I can no longer read it.")
    channel = body.get("channel") or {}
    shortcut_like = {
        **body,
        "message": message,
        "channel": {"id": channel_id, "name": channel.get("name")},
    }
    await open_prefilled(deps, client, shortcut_like, context)
    # NOTE: the button did its job; the ephemeral prompt goes away
    await deps.responses.send(body.get("response_url"), delete_original=True)
