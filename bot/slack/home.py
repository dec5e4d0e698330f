"""The App Home tab, published (``views.publish``) when a user opens it and again when one of
their tickets changes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.records import SubmissionState
from bot.slack.access import Access
from bot.slack.seal import RETRY_PURPOSE, UNSURE_PURPOSE, Seal
from bot.slack.users import UserDirectory
from bot.slack.views.home import home_view
from bot.tickets.home import HomeService

log = logging.getLogger(__name__)
LINKS_WAIT_SECONDS = 1.5


class HomeTab:
    """Publishes a user's App Home tab, built from ``HomeService``'s data."""

    def __init__(
        self,
        slack: AsyncWebClient,
        users: UserDirectory,
        access: Access,
        home: HomeService,
        seal: Seal,
    ) -> None:
        self._slack = slack
        self._users = users
        self._access = access
        self._home = home
        self._seal = seal

    async def publish(self, team_id: str, user_id: str, *, opened: bool = False) -> None:
        """Build and publish ``user_id``'s home tab (``opened``: they are looking at it now)."""
        filer = await self._users.filer(team_id, user_id, user_id)
        is_admin = await self._access.is_admin(user_id)
        if opened:
            data = await self._home.opened(filer, is_admin=is_admin)
        else:
            data = await self._home.data(filer, is_admin=is_admin)
        wanted = {t.id: (t.channel_id, t.card_ts) for t in data.tickets if not t.url and t.card_ts}
        cards = {
            item.submission.id: (item.submission.card_channel, item.submission.card_ts)
            for item in data.attention or ()
            if item.submission.card_ts
        }
        thread_links, card_links = await asyncio.gather(
            permalinks(self._slack, wanted), permalinks(self._slack, cards)
        )
        retry_values = {
            item.submission.id: self._seal.seal(
                str(item.submission.id),
                RETRY_PURPOSE
                if item.submission.state is SubmissionState.GAVE_UP
                else UNSURE_PURPOSE,
            )
            for item in data.attention or ()
        }
        view = home_view(
            data, thread_links=thread_links, retry_values=retry_values, card_links=card_links
        )
        await self._slack.views_publish(user_id=user_id, view=view)

    async def refresh(self, team_id: str, user_id: str) -> None:
        """Publish the home again if the user has ever opened it; best effort."""
        errors: tuple[type[BaseException], ...] = (SlackApiError, *self._home.database_errors)
        try:
            if await self._home.wants_refresh(team_id, user_id):
                await self.publish(team_id, user_id)
        except errors as exc:
            log.info("home tab not refreshed", extra={"error": type(exc).__name__})


async def permalinks(
    slack: AsyncWebClient, messages: Mapping[int, tuple[str | None, str | None]]
) -> dict[int, str]:
    """The permalink of each message (key → link), for the ones Slack gives in time."""

    async def one(key: int, channel: str | None, ts: str | None) -> tuple[int, str | None]:
        if not channel or not ts:
            return key, None
        try:
            found = await slack.chat_getPermalink(channel=channel, message_ts=ts)
        except SlackApiError:
            return key, None
        return key, str(found["permalink"])

    try:
        pairs = await asyncio.wait_for(
            asyncio.gather(*(one(k, c, t) for k, (c, t) in messages.items())), LINKS_WAIT_SECONDS
        )
    except TimeoutError:
        return {}
    return {key: link for key, link in pairs if link}
