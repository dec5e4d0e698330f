"""Link previews: ``link_shared`` → ``chat.unfurl`` for links to tickets the bot filed, and
only where everyone in the channel may see that ticket (``Access.everyone_may_read``): never
a ticket from a private channel to its non-members, never in a DM, never in a channel shared
with another organisation unless ``tickets_in_shared_channels``."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError

from bot.slack.context import SlackContext
from bot.slack.listeners.jobs import after_ack, told_to
from bot.slack.views.preview import ticket_preview

log = logging.getLogger(__name__)
MAX_LINKS = 5  # NOTE: Slack sends at most 5 links per link_shared event (its docs)


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.event("link_shared")
    async def handle_link_shared_event(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]
    ) -> None:
        await ack()
        if not deps.options.link_previews:
            return
        who = told_to(event.get("user"), body.get("team_id"))
        work = unfurl(deps, body, event)
        after_ack(deps, deps.slack, who, context, work, deferred=True)


async def unfurl(deps: SlackContext, body: dict[str, Any], event: dict[str, Any]) -> None:
    """Preview each ticket link everyone in the channel may see; say nothing of the rest."""
    team_id = str(body.get("team_id") or "")
    channel_id = str(event.get("channel") or "")
    event_id = str(body.get("event_id") or "")
    links = [str(link.get("url") or "") for link in (event.get("links") or [])[:MAX_LINKS]]
    if not channel_id or not links or not await deps.previews.first_delivery(event_id):
        return
    unfurls: dict[str, Any] = {}
    for url in links:
        ticket = await deps.previews.ticket_for(team_id, url)
        if ticket is None or not await deps.access.everyone_may_read(channel_id, ticket):
            continue
        unfurls[url] = ticket_preview(
            ticket, deps.following.title(ticket.provider), now=deps.clock()
        )
    if not unfurls:
        return
    where: dict[str, Any] = {"channel": channel_id, "ts": str(event.get("message_ts") or "")}
    if event.get("unfurl_id"):  # NOTE: a link in the composer, not yet posted
        where = {"unfurl_id": event["unfurl_id"], "source": event.get("source") or "composer"}
    try:
        await deps.slack.chat_unfurl(unfurls=unfurls, **where)
    except SlackApiError as exc:
        log.info("link preview refused", extra={"error": exc.response.get("error")})
