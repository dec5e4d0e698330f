"""Slack profiles (name, e-mail) for filers, from ``users.info``, cached briefly.

A filer's e-mail is what links them to a customer (a provider's customer search, Pulse's
``user`` requester), so it is kept only for a member of this workspace whose address Slack
confirmed: a guest (``is_restricted``/``is_ultra_restricted``) or a Slack Connect user of
another organisation (``is_stranger``, or a home ``team_id`` that is not this workspace's) is
filed by an admin's link only, unless ``link_guests_by_email`` is set. An address Slack marks
unconfirmed (``is_email_confirmed: false``) is never used.
"""

from __future__ import annotations

import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.tickets import Filer

TTL_SECONDS = 600.0
KEPT = 5_000  # profiles cached at most; past it the expired go, then the oldest


def is_member(user: dict[str, Any], team_id: str) -> bool:
    """A full member of workspace ``team_id``: no guest, no user of another organisation.

    NOTE: on Enterprise Grid a user's ``team_id`` may be another workspace of the same
    organisation; ``enterprise_user.teams`` lists the workspaces they belong to."""
    if user.get("is_restricted") or user.get("is_ultra_restricted") or user.get("is_stranger"):
        return False
    enterprise = user.get("enterprise_user")
    teams = enterprise.get("teams") if isinstance(enterprise, dict) else None
    return user.get("team_id") == team_id or (isinstance(teams, list) and team_id in teams)


class UserDirectory:
    def __init__(
        self, client: AsyncWebClient, *, guests_by_email: bool = False, kept: int = KEPT
    ) -> None:
        self._client = client
        self._guests_by_email = guests_by_email
        self._kept = kept
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
        email = profile.get("email") or None
        confirmed = user.get("is_email_confirmed") is not False
        if not confirmed or not (self._guests_by_email or is_member(user, team_id)):
            email = None  # NOTE: linked by an admin only (see the module)
        filer = Filer(team_id=team_id, user_id=user_id, name=str(name), email=email)
        self._keep(key, filer)
        return filer

    def _keep(self, key: tuple[str, str], filer: Filer) -> None:
        now = time.monotonic()
        if len(self._cache) >= self._kept:
            self._cache = {k: hit for k, hit in self._cache.items() if hit[0] > now}
        while len(self._cache) >= self._kept:
            del self._cache[next(iter(self._cache))]  # NOTE: dicts keep insertion order
        self._cache.pop(key, None)
        self._cache[key] = (now + TTL_SECONDS, filer)
