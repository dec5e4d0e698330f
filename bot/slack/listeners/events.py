"""Thread replies → ticket: a person's message in a ticket's thread is added to the ticket.

Events API deliveries are de-duplicated by event id (Slack re-delivers with X-Slack-Retry-Num
when it thinks one was lost). Bot messages, edits and deletions are ignored.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.domain.errors import TicketbotError
from bot.slack.listeners.jobs import after_ack
from bot.slack.views.text import escape
from bot.tickets.prefill import plain

# NOTE: subtypes that carry a person's new words; everything else (bot_message,
# message_changed, message_deleted, channel_join, …) is not a reply to the ticket.
PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}


def register(app: AsyncApp, deps: Deps) -> None:
    @app.event("message")
    async def handle_message_event(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        if (
            event.get("subtype") not in PERSON_SUBTYPES
            or event.get("bot_id")
            or not thread_ts
            or thread_ts == ts
            or not event.get("user")
        ):
            return
        if event.get("channel") in deps.settings.options.thread_sync_off:
            return
        after_ack(deps, client, body, context, copy_reply(deps, body, event), deferred=True)


async def copy_reply(deps: Deps, body: dict[str, Any], event: dict[str, Any]) -> None:
    """Add a person's thread reply to the ticket, and tick it (or say why not) in Slack."""
    client = deps.slack
    event_id = str(body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}")
    found = await deps.following.thread_ticket(
        str(event["channel"]), str(event["thread_ts"]), event_id
    )
    if found is None:
        return
    ticket, provider = found
    author = await deps.users.filer(ticket.team_id, str(event["user"]), str(event["user"]))
    text = f"{author.name} (via Slack): {plain(str(event.get('text') or ''))}"
    try:
        await deps.following.reply(ticket, provider, text)
    except TicketbotError as exc:
        await client.chat_postMessage(
            channel=event["channel"],
            thread_ts=event["thread_ts"],
            text=f":warning: Could not add that to {escape(provider.title)} "
            f"#{escape(ticket.number)}: {escape(exc.message)}",
        )
        return
    await client.reactions_add(
        channel=event["channel"], timestamp=event["ts"], name="white_check_mark"
    )
