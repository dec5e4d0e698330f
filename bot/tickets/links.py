"""Requester links: admins set them, users see their own. Every change is audited."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.errors import UserFixable
from bot.domain.tickets import Filer
from bot.providers.base import Provider
from bot.slack.access import Access
from bot.slack.views.links import links_text, whoami_text
from bot.store import Store
from bot.tickets.requesters import NotLinked, resolve_requester


class LinkService:
    def __init__(self, store: Store, providers: Mapping[str, Provider], access: Access) -> None:
        self._store = store
        self._providers = providers
        self._access = access

    @property
    def _titles(self) -> dict[str, str]:
        return {name: p.title for name, p in self._providers.items()}

    async def link(
        self, *, actor: str, team_id: str, user_id: str, provider: str, requester_id: str
    ) -> str:
        # NOTE: admins only: a self-service link would let anyone file as any customer.
        await self._access.require_admin(actor, "link users")
        adapter = self._providers[provider]
        if problem := adapter.requester_id_problem(requester_id):
            raise UserFixable(problem)
        old = await self._store.set_requester_link(
            team_id=team_id,
            user_id=user_id,
            provider=provider,
            requester_id=requester_id,
            source="admin",
            created_by=actor,
        )
        was = f" (was `{old}`)" if old and old != requester_id else ""
        return (
            f"Linked <@{user_id}> to {adapter.title} requester `{requester_id}`{was}. "
            f"Their tickets at {adapter.title} are now filed as that requester."
        )

    async def unlink(self, *, actor: str, team_id: str, user_id: str, provider: str | None) -> str:
        await self._access.require_admin(actor, "unlink users")
        count = await self._store.delete_links(
            team_id=team_id, user_id=user_id, provider=provider, actor=actor
        )
        where = self._titles[provider] if provider else "every provider"
        if not count:
            return f"<@{user_id}> had no link at {where}."
        return f"Removed {count} link{'s' * (count != 1)} of <@{user_id}> ({where})."

    async def list(self, *, actor: str, team_id: str, user_id: str | None) -> str:
        await self._access.require_admin(actor, "list links")
        links = await self._store.links(team_id, user_id)
        latest = await self._store.latest_link_change(team_id, user_id)
        return links_text(links, latest, self._titles, whose=f"<@{user_id}>" if user_id else None)

    async def whoami(self, filer: Filer) -> str:
        rows = []
        for provider in self._providers.values():
            try:
                requester = await resolve_requester(self._store, provider, filer)
                label = requester.label if requester else "unknown"
            except NotLinked:
                label = f"not linked: ask an admin ({self._access.admins_text()})"
            rows.append((provider.title, label))
        return whoami_text(rows)
