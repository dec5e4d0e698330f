"""Messages in channels: a person's reply in a ticket's thread is added to the ticket; an
alert tool's message (new, or its first message edited in place) follows up its alert's ticket.

Events API deliveries are de-duplicated by event id (Slack re-delivers with X-Slack-Retry-Num
when it thinks one was lost). Other edits, deletions and our own messages are ignored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.text import plain
from bot.domain.alerts import Alert, alert_key, legacy_key
from bot.domain.errors import TicketbotError
from bot.slack.budget import BODY_BYTES
from bot.slack.context import SlackContext
from bot.slack.listeners.jobs import after_ack
from bot.slack.views.disclosure import redacted_text
from bot.slack.views.text import escape
from bot.tickets.lifecycle import AlertMessage
from bot.tickets.routing import AlertPolicy, alert_policy

log = logging.getLogger(__name__)

# NOTE: subtypes that carry a person's new words; everything else (bot_message,
# message_changed, message_deleted, channel_join, …) is not a reply to the ticket.
PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}
# an alert tool's new message (not an edit), at the top or in a thread (where Sentry and New
# Relic post an alert's later states; Sentry broadcasts its escalations)
ALERT_SUBTYPES = {None, "bot_message", "thread_broadcast"}

# a request this small holds an alert message read in well under a millisecond (every tool's
# fixture is), so it is read on the event loop; a bigger one (a 40,000-character message takes
# tens of ms) in a worker thread, whose hop costs more than a glance at a small one
READ_INLINE_BYTES = 8 * 1024


def _policy(deps: SlackContext, channel: str) -> AlertPolicy:
    options = deps.options
    return alert_policy(
        deps.routes.of(channel),
        follow=options.follow_alerts,
        comment_on_resolve=options.comment_on_resolve,
        comment_on_refire=options.comment_on_refire,
    )


def _from_alert_tool(message: Any, context: dict[str, Any]) -> bool:
    """Another app's message (not ours)."""
    if not isinstance(message, dict) or not message.get("bot_id"):
        return False
    return bool(message["bot_id"] != context.get("bot_id"))


Follow = Callable[
    [SlackContext, str, str, dict[str, Any], AlertPolicy, bool], Coroutine[Any, Any, None]
]


def follow_alert(
    deps: SlackContext,
    body: dict[str, Any],
    event: dict[str, Any],
    client: AsyncWebClient,
    context: dict[str, Any],
    follow: Follow,
) -> None:
    """An alert tool posted (``_follow``) or edited its message (``_follow_edit``: PagerDuty's
    app, Zabbix, Sentry, Alertmanager's ``update_message``): if it is an alert whose ticket is
    open, follow it up, in the job: reading an alert walks the whole message, which the ack
    need not wait for."""
    channel = str(event.get("channel") or "")
    policy = _policy(deps, channel)
    if policy.follow:
        size = context.get(BODY_BYTES)
        inline = isinstance(size, int) and size <= READ_INLINE_BYTES
        work = follow(deps, str(body.get("team_id") or ""), channel, event, policy, inline)
        after_ack(deps, client, body, context, work, deferred=True)


async def _read(deps: SlackContext, message: Any, inline: bool) -> Alert:
    """Which alert ``message`` is about (a glance: following it needs no subject or body)."""
    if inline:
        return deps.alerts.glance(message)
    return await asyncio.to_thread(deps.alerts.glance, message)


async def _follow(
    deps: SlackContext,
    team_id: str,
    channel: str,
    event: dict[str, Any],
    policy: AlertPolicy,
    inline: bool,
) -> None:
    alert = await _read(deps, event, inline)
    in_thread = event.get("thread_ts") not in (None, event.get("ts"))
    if not alert.resolved and (alert.update or in_thread):
        # NOTE: acknowledged, assigned, a note; or a reply in the alert's thread that does
        # not resolve it (Zabbix's "Updated problem", New Relic's "Acknowledged")
        log.debug("news about an alert that neither fires nor resolves it; ignored")
        return
    await _seen(deps, team_id, channel, alert, str(event.get("ts")), None, policy)


async def _follow_edit(
    deps: SlackContext,
    team_id: str,
    channel: str,
    event: dict[str, Any],
    policy: AlertPolicy,
    inline: bool,
) -> None:
    """Followed like a new message when the edit changes the alert's state."""
    message, before = event.get("message"), event.get("previous_message")
    alert = await _read(deps, message, inline)
    earlier = await _read(deps, before, inline) if isinstance(before, dict) else None
    if alert.resolved == (earlier.resolved if earlier is not None else False):
        log.debug("an alert message was edited without a change of state; ignored")
        return
    if alert.identity is None and earlier is not None:
        alert = replace(alert, identity=earlier.identity)
    edited = (message or {}).get("edited") or {}
    said_at = str(event.get("ts") or edited.get("ts") or "")
    await _seen(deps, team_id, channel, alert, str((message or {}).get("ts")), said_at, policy)


async def _seen(
    deps: SlackContext,
    team_id: str,
    channel: str,
    alert: Alert,
    ts: str,
    edited_at: str | None,
    policy: AlertPolicy,
) -> None:
    key = alert_key(channel, alert)
    try:
        said_at = float(edited_at or ts)
    except ValueError:
        key = None
    if key is None:
        log.debug("a bot message without an alert identity; ignored")
        return
    message = AlertMessage(
        team_id=team_id,
        channel_id=channel,
        ts=ts,
        key=key,
        resolved=alert.resolved,
        at=said_at,
        edited=edited_at is not None,
        legacy_key=legacy_key(alert),
    )
    await deps.lifecycle.seen(message, policy)


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.event("message")
    async def handle_message_event(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        if event.get("subtype") == "message_changed":
            if _from_alert_tool(event.get("message"), context):
                follow_alert(deps, body, event, client, context, _follow_edit)
            return
        if event.get("bot_id"):
            if _from_alert_tool(event, context) and event.get("subtype") in ALERT_SUBTYPES:
                follow_alert(deps, body, event, client, context, _follow)
            return
        if (
            event.get("subtype") not in PERSON_SUBTYPES
            or event.get("bot_id")
            or not thread_ts
            or thread_ts == ts
            or not event.get("user")
            or not event.get("channel")
        ):
            return
        if event.get("channel") in deps.options.thread_sync_off:
            return
        after_ack(deps, client, body, context, copy_reply(deps, body, event), deferred=True)


async def copy_reply(deps: SlackContext, body: dict[str, Any], event: dict[str, Any]) -> None:
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
        redacted = await deps.following.reply(ticket, provider, text)
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
    if redacted:
        await client.chat_postMessage(
            channel=event["channel"],
            thread_ts=event["thread_ts"],
            text=redacted_text(redacted, provider.title),
        )
