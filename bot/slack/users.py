"""Slack profiles (name, e-mail) for filers, from ``users.info``, cached briefly."""

from __future__ import annotations

import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.tickets import Filer

TTL_SECONDS = 600.0


class UserDirectory:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._cache: dict[tuple[str, str], tuple[float, Filer]] = {}
        self._bots: set[str] = set()

    async def is_bot(self, team_id: str, user_id: str) -> bool:
        """Whether ``user_id`` is a bot (or the app's own user), as ``users.info`` says."""
        await self.filer(team_id, user_id, user_id)
        return user_id in self._bots

    async def filer(self, team_id: str, user_id: str, fallback_name: str) -> Filer:
        """The user's display name and e-mail; falls back to the payload's name on error."""
        key = (team_id, user_id)
        hit = self._cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError:
            return Filer(team_id=team_id, user_id=user_id, name=fallback_name or user_id)
        user = response.get("user") or {}
        if user.get("is_bot") or user_id == "USLACKBOT":
            self._bots.add(user_id)
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or fallback_name
            or user_id
        )
        filer = Filer(
            team_id=team_id, user_id=user_id, name=str(name), email=profile.get("email") or None
        )
        self._cache[key] = (time.monotonic() + TTL_SECONDS, filer)
        return filer
