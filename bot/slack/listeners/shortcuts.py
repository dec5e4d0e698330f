"""The "File a ticket" message shortcut: the modal prefilled from the message (alerts above
all), answered in the message's thread, and "already filed" when it was."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.reader import mentioned_users
from bot.domain.alerts import alert_key
from bot.domain.drafts import FileRef, ModalContext
from bot.domain.forms import FieldValue
from bot.domain.records import TicketRecord
from bot.domain.tickets import Filer
from bot.providers.base import takes_replies
from bot.slack import thread_talk
from bot.slack.budget import ack_deadline, left
from bot.slack.context import SlackContext
from bot.slack.listeners.jobs import after_ack
from bot.slack.listeners.modal_flow import show_form
from bot.slack.listeners.payload import payload_filer
from bot.slack.seal import ADD_PURPOSE
from bot.slack.views.blocks import button
from bot.slack.views.ids import ActionId, CallbackId
from bot.slack.views.text import link as text_link
from bot.slack.views.ticket_card import ticket_headline
from bot.tickets.prefill import prefill_values

log = logging.getLogger(__name__)

LOOKUP_SECONDS = 1.0  # names and the permalink are nice to have; the trigger_id lives 3 s


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.shortcut(CallbackId.FILE_SHORTCUT)
    async def handle_file_ticket_shortcut(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        after_ack(deps, client, body, context, open_prefilled(deps, client, body, context))


async def open_prefilled(
    deps: SlackContext, client: AsyncWebClient, body: dict[str, Any], context: dict[str, Any]
) -> None:
    """The form about ``body``'s message (a shortcut's payload, or one built like it)."""
    message = body.get("message") or {}
    channel = body.get("channel") or {}
    filer = payload_filer(body)
    ctx, values = await message_context(
        deps,
        client,
        filer,
        channel_id=str(channel.get("id") or ""),
        channel_name=channel.get("name"),
        message=message,
        response_url=body.get("response_url"),
        domain=(body.get("team") or {}).get("domain"),
        ours=thread_talk.ours(context, body),
    )
    notice, submit, offer = None, "File ticket", None
    try:
        # NOTE: the trigger lives 3 s from the request: what was filed before is told only if
        # it is found within the ack's budget, so the form itself still opens in time
        async with asyncio.timeout(left(ack_deadline(context))):
            earlier = await deps.filing.earlier_ticket(
                filer.team_id, ctx.channel_id, ctx.message_ts, ctx.fingerprint
            )
            if earlier is not None and await deps.access.may_read(
                filer.user_id, filed_by=earlier.filed_by, filed_from=earlier.filed_from
            ):
                if earlier.is_open_duplicate(ctx.message_ts):
                    notice = await already_filed(deps, client, earlier)
                    submit = "File another anyway"
                    if earlier.source_ts != ctx.message_ts:  # NOTE: the alert again, anew
                        offer = add_offer(deps, filer.user_id, earlier)
                        submit = "File a new ticket"
                else:
                    notice = previously_filed(deps, earlier)
    except TimeoutError:
        log.info("what was filed before was not found in time; the form opens without it")
    if offer is None and ctx.message_ts:  # NOTE: the same choice as the second shortcut
        offer = button(ActionId.ADD_INSTEAD, "Add to a ticket instead…", "instead")
    await show_form(
        deps,
        client,
        context,
        ctx=ctx,
        filer=filer,
        values=values,
        trigger_id=body["trigger_id"],
        notice=notice,
        submit=submit,
        offer=offer,
    )


def add_offer(deps: SlackContext, user_id: str, ticket: TicketRecord) -> dict[str, Any]:
    """*Add to HostUp #10001*: the form's first choice for an alert whose ticket is open (the
    ticket's id sealed for the one asking; *Follow … here* where only a link is possible)."""
    provider = deps.providers.get(ticket.provider)
    title = provider.title if provider else ticket.provider
    verb = "Add to" if takes_replies(provider) else "Follow"
    value = deps.seal.seal(str(ticket.id), f"{ADD_PURPOSE}:{user_id}")
    return button(ActionId.ADD_OFFER, f"{verb} {title} #{ticket.number}", value, style="primary")


def previously_filed(deps: SlackContext, earlier: TicketRecord) -> str:
    provider = deps.providers.get(earlier.provider)
    headline = ticket_headline(
        title=provider.title if provider else earlier.provider,
        number=earlier.number,
        url=earlier.url,
    )
    return f"This alert was previously filed as {headline} (closed since)."


async def message_context(
    deps: SlackContext,
    client: AsyncWebClient,
    filer: Filer,
    *,
    channel_id: str,
    channel_name: str | None,
    message: dict[str, Any],
    response_url: str | None,
    domain: str | None,
    ours: frozenset[str] = frozenset(),
) -> tuple[ModalContext, dict[str, FieldValue]]:
    """Where a ticket about ``message`` comes from, and the form values it prefills (the
    channel's route picks the provider); a thread's conversation (not ``ours``) and files
    come along."""
    names, permalink, thread = await _lookups(
        deps, client, filer.team_id, message, channel_id, domain, ours
    )
    # NOTE: reading is linear but a 40,000-character message still takes tens of ms: in a
    # worker thread, so the event loop keeps answering
    alert = await asyncio.to_thread(deps.alerts.read, message, names)
    person = str(message.get("user") or "")
    poster = alert.sender_name or (f"@{names.get(person, person)}" if person else None)
    values = prefill_values(
        alert,
        poster=poster,
        permalink=permalink,
        channel=channel_name,
        conversation=thread_talk.conversation(thread, names),
    )
    route = deps.routes.of(channel_id)
    provider = route.provider if route else None
    if provider is None and len(deps.providers) == 1:
        provider = next(iter(deps.providers))
    ctx = ModalContext(
        provider=provider,
        channel_id=channel_id or None,
        # NOTE: reply in the message's own thread: its root if it is a reply already.
        thread_ts=message.get("thread_ts") or message.get("ts"),
        message_ts=str(message.get("ts")),
        response_url=response_url,
        severity=alert.urgency,
        fingerprint=alert_key(channel_id, alert),
        permalink=permalink,
        files=tuple(
            FileRef(
                id=str(f["id"]),
                name=str(f.get("name") or f.get("title") or f["id"])[:60],
                size=int(f.get("size") or 0),
            )
            for f in [f for m in (message, *thread) for f in (m.get("files") or [])[:10]][:10]
            if isinstance(f, dict) and f.get("id")
        ),
    )
    return ctx, values


def local_permalink(domain: str | None, channel_id: str, message: dict[str, Any]) -> str | None:
    """Slack's permalink format (archives/<channel>/p<ts without the dot>), built locally."""
    if not domain or not channel_id or not message.get("ts"):
        return None
    ts = str(message["ts"])
    link = f"https://{domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
    if message.get("thread_ts") and message["thread_ts"] != ts:
        link += f"?thread_ts={message['thread_ts']}&cid={channel_id}"
    return link


async def _lookups(
    deps: SlackContext,
    client: AsyncWebClient,
    team_id: str,
    message: dict[str, Any],
    channel_id: str,
    domain: str | None,
    ours: frozenset[str],
) -> tuple[dict[str, str], str | None, list[dict[str, Any]]]:
    """The message's thread (if it has one), its permalink, and the display names of the
    people the message and the thread mention or who wrote there: all within 1 s."""
    users = sorted(
        mentioned_users(message) | ({str(message["user"])} if message.get("user") else set())
    )

    async def name(user_id: str) -> tuple[str, str]:
        return user_id, (await deps.users.filer(team_id, user_id, user_id)).name

    async def link() -> str | None:
        if known := local_permalink(domain, channel_id, message):
            return known  # NOTE: saves a chat.getPermalink call per shortcut
        try:
            response = await client.chat_getPermalink(
                channel=channel_id, message_ts=str(message.get("ts"))
            )
        except SlackApiError:
            return None
        return str(response["permalink"])

    async def names(more: set[str]) -> dict[str, str]:
        wanted = users + sorted(more - set(users))
        return dict(await asyncio.gather(*(name(u) for u in wanted[:30])))

    async def thread_and_names() -> tuple[list[dict[str, Any]], dict[str, str]]:
        said = await thread_talk.replies(client, channel_id, message, ours)
        more = thread_talk.authors(said)
        for m in said:
            more |= mentioned_users(m)
        return said, await names(more)

    try:
        async with asyncio.timeout(LOOKUP_SECONDS):
            (thread, found), permalink = await asyncio.gather(thread_and_names(), link())
    except TimeoutError:
        return {}, None, []
    return found, permalink, thread


async def already_filed(
    deps: SlackContext,
    client: AsyncWebClient,
    ticket: TicketRecord,
    then: str = "Submitting files another ticket anyway.",
) -> str:
    """ "Already filed as HostUp #123 by @ana 10 min ago", with a link to its thread, and
    ``then``: what another try does."""
    provider = deps.providers.get(ticket.provider)
    headline = ticket_headline(
        title=provider.title if provider else ticket.provider, number=ticket.number, url=ticket.url
    )
    minutes = max(1, int((time.time() - ticket.created_at) // 60))
    ago = f"{minutes} min ago" if minutes < 120 else f"{minutes // 60} h ago"
    text = f"Already filed as {headline} by <@{ticket.filed_by}> {ago}"
    if ticket.channel_id and ticket.card_ts:
        try:
            link = await client.chat_getPermalink(
                channel=ticket.channel_id, message_ts=ticket.card_ts
            )
            text += f" ({text_link(str(link['permalink']), 'see its thread')})"
        except SlackApiError:
            pass
    return f"{text}. {then}"
