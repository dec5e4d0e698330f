"""The App Home tab: published for the user each time they open it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.context import SlackContext
from bot.slack.listeners.jobs import after_ack, told_to
from bot.slack.views.ids import ActionId


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.event("app_home_opened")
    async def handle_app_home_opened_event(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        if event.get("tab") != "home" or not event.get("user"):
            return  # NOTE: the Messages tab sends this event too
        team_id, user_id = str(body.get("team_id") or ""), str(event["user"])
        work = deps.home_tab.publish(team_id, user_id, opened=True)
        after_ack(deps, client, told_to(user_id, team_id), context, work)

    @app.action(ActionId.OPEN_THREAD)
    async def handle_open_thread_action(ack: AsyncAck) -> None:
        """A link button: Slack opens the thread and still sends the click, which wants an ack."""
        await ack()
