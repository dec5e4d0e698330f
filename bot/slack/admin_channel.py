"""``TellsAdmins`` in Slack: the admin channel's messages (how often is ``tickets/notices.py``'s
business)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import AdminFixable
from bot.slack.views.errors import error_text
from bot.slack.views.text import escape


class AdminChannel:
    def __init__(self, slack: AsyncWebClient, channel: str) -> None:
        self._slack = slack
        self._channel = channel

    async def needs_admin(self, error: AdminFixable, ref: str) -> None:
        await self._slack.chat_postMessage(
            channel=self._channel,
            text=":rotating_light: ticketbot needs an admin: "
            + error_text(error, ref=ref, is_admin=True, draft_kept=False),
        )

    async def feature_off(self, title: str, feature: str, why: str) -> None:
        await self._slack.chat_postMessage(
            channel=self._channel,
            text=f":information_source: {escape(title)} has no {escape(feature)} endpoint "
            f"({escape(why)}), so the bot goes on without it. Filing is not affected. See "
            "docs/providers.md for what each endpoint serves.",
        )
