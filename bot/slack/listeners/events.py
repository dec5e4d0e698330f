"""Thread replies → ticket: a person's message in a ticket's thread is added to the ticket.

Events API deliveries are de-duplicated by event id (Slack re-delivers with X-Slack-Retry-Num
when it thinks one was lost). Bot messages, edits and deletions are ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.domain.errors import TicketbotError
from bot.slack.listeners.jobs import after_ack
from bot.slack.views.text import escape
from bot.tickets.alerts import fingerprint_of, is_resolved
from bot.tickets.lifecycle import AlertMessage
from bot.tickets.prefill import plain
from bot.tickets.routing import AlertPolicy, alert_policy

log = logging.getLogger(__name__)

# NOTE: subtypes that carry a person's new words; everything else (bot_message,
# message_changed, message_deleted, channel_join, …) is not a reply to the ticket.
PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}
ALERT_SUBTYPES = {None, "bot_message"}  # an alert tool's new message (not an edit)


def alert_message(
    deps: Deps,
    body: dict[str, Any],
    event: dict[str, Any],
    client: AsyncWebClient,
    context: dict[str, Any],
) -> None:
    """An alert tool posted: if it is an alert whose ticket is open, follow it up (read in
    the job: reading an alert walks the whole message, which the ack need not wait for)."""
    options = deps.settings.options
    policy = alert_policy(
        deps.routes.of(str(event.get("channel") or "")),
        follow=options.follow_alerts,
        comment_on_resolve=options.comment_on_resolve,
        comment_on_refire=options.comment_on_refire,
    )
    if policy.follow:
        team_id = str(body.get("team_id") or "")
        after_ack(deps, client, body, context, _follow(deps, team_id, event, policy), deferred=True)


async def _follow(deps: Deps, team_id: str, event: dict[str, Any], policy: AlertPolicy) -> None:
    fingerprint = fingerprint_of(event)
    if fingerprint is None:
        log.debug("a bot message without an alert identity; ignored")
        return
    message = AlertMessage(
        team_id=team_id,
        channel_id=str(event.get("channel") or ""),
        ts=str(event["ts"]),
        fingerprint=fingerprint,
        resolved=is_resolved(event),
    )
    await deps.lifecycle.seen(message, policy)


def register(app: AsyncApp, deps: Deps) -> None:
    @app.event("message")
    async def handle_message_event(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        if event.get("bot_id") and not thread_ts:
            if (
                event.get("bot_id") != context.get("bot_id")
                and event.get("subtype") in ALERT_SUBTYPES
            ):
                alert_message(deps, body, event, client, context)
            return
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
