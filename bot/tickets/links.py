"""Requester links: admins set them, users see their own. Every change is audited.

The service answers with data; the Slack layer words it (``bot.slack.views.links``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.domain.errors import UserFixable
from bot.domain.records import Link, LinkChange
from bot.domain.tickets import Filer, Requester
from bot.providers.base import Provider
from bot.store.links import LinkQueries
from bot.tickets.requesters import NotLinked, resolve_requester


class Admins(Protocol):
    """Who may change links (the Slack layer's access checks)."""

    async def require_admin(self, user_id: str, doing: str) -> None: ...


@dataclass(frozen=True)
class Linked:
    title: str
    requester_id: str
    old: str | None


@dataclass(frozen=True)
class Links:
    links: list[Link]
    latest: LinkChange | None


class LinkService:
    def __init__(
        self, links: LinkQueries, providers: Mapping[str, Provider], admins: Admins
    ) -> None:
        self._links = links
        self._providers = providers
        self._admins = admins

    async def link(
        self, *, actor: str, team_id: str, user_id: str, provider: str, requester_id: str
    ) -> Linked:
        # NOTE: admins only: a self-service link would let anyone file as any customer.
        await self._admins.require_admin(actor, "link users")
        adapter = self._providers[provider]
        if problem := adapter.requester_id_problem(requester_id):
            raise UserFixable(problem)
        old = await self._links.set_requester_link(
            team_id=team_id,
            user_id=user_id,
            provider=provider,
            requester_id=requester_id,
            source="admin",
            created_by=actor,
        )
        return Linked(title=adapter.title, requester_id=requester_id, old=old)

    async def unlink(self, *, actor: str, team_id: str, user_id: str, provider: str | None) -> int:
        """How many links were removed."""
        await self._admins.require_admin(actor, "unlink users")
        return await self._links.delete_links(
            team_id=team_id, user_id=user_id, provider=provider, actor=actor
        )

    async def listing(self, *, actor: str, team_id: str, user_id: str | None) -> Links:
        await self._admins.require_admin(actor, "list links")
        return Links(
            links=list(await self._links.links(team_id, user_id)),
            latest=await self._links.latest_link_change(team_id, user_id),
        )

    async def whoami(
        self, filer: Filer, *, lookup: bool = True
    ) -> list[tuple[str, Requester | None, bool]]:
        """Per provider: its title, whom ``filer`` files as (None: unknown, or with ``lookup``
        False not looked up at the provider), and whether an admin must link them first."""
        rows: list[tuple[str, Requester | None, bool]] = []
        for provider in self._providers.values():
            try:
                found = await self.requester(provider, filer, lookup=lookup)
                rows.append((provider.title, found, False))
            except NotLinked:
                rows.append((provider.title, None, True))
        return rows

    async def requester(
        self, provider: Provider, filer: Filer, *, lookup: bool = True
    ) -> Requester | None:
        """Whom ``filer`` files as at ``provider`` (see ``bot.tickets.requesters``); with
        ``lookup`` False no provider call is made, and None means a look-up is needed."""
        return await resolve_requester(self._links, provider, filer, lookup=lookup)
