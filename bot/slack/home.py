"""The App Home tab, published (``views.publish``) when a user opens it and again when one of
their tickets changes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.domain.records import SubmissionState
from bot.slack.seal import RETRY_PURPOSE, UNSURE_PURPOSE
from bot.slack.views.home import home_view

log = logging.getLogger(__name__)
LINKS_WAIT_SECONDS = 1.5


async def publish_home(deps: Deps, team_id: str, user_id: str, *, opened: bool = False) -> None:
    """Build and publish ``user_id``'s home tab (``opened``: they are looking at it now)."""
    filer = await deps.users.filer(team_id, user_id, user_id)
    is_admin = await deps.access.is_admin(user_id)
    if opened:
        data = await deps.home.opened(filer, is_admin=is_admin)
    else:
        data = await deps.home.data(filer, is_admin=is_admin)
    wanted = {t.id: (t.channel_id, t.card_ts) for t in data.tickets if not t.url and t.card_ts}
    cards = {
        item.submission.id: (item.submission.card_channel, item.submission.card_ts)
        for item in data.attention or ()
        if item.submission.card_ts
    }
    thread_links, card_links = await asyncio.gather(
        _permalinks(deps, wanted), _permalinks(deps, cards)
    )
    retry_values = {
        item.submission.id: deps.seal.seal(
            str(item.submission.id),
            RETRY_PURPOSE if item.submission.state is SubmissionState.GAVE_UP else UNSURE_PURPOSE,
        )
        for item in data.attention or ()
    }
    view = home_view(
        data, thread_links=thread_links, retry_values=retry_values, card_links=card_links
    )
    await deps.slack.views_publish(user_id=user_id, view=view)


async def refresh_home(deps: Deps, team_id: str, user_id: str) -> None:
    """Publish the home again if the user has ever opened it; best effort."""
    errors: tuple[type[BaseException], ...] = (SlackApiError, *deps.store.errors)
    try:
        if await deps.home.wants_refresh(team_id, user_id):
            await publish_home(deps, team_id, user_id)
    except errors as exc:
        log.info("home tab not refreshed", extra={"error": type(exc).__name__})


async def _permalinks(
    deps: Deps, messages: Mapping[int, tuple[str | None, str | None]]
) -> dict[int, str]:
    async def one(key: int, channel: str | None, ts: str | None) -> tuple[int, str | None]:
        if not channel or not ts:
            return key, None
        try:
            found = await deps.slack.chat_getPermalink(channel=channel, message_ts=ts)
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
