"""Who a ticket is filed as at the provider."""

from __future__ import annotations

from bot.errors import UserFixable
from bot.providers.base import Filer, Provider, Requester, RequesterSource
from bot.store import Store


class NotLinked(UserFixable):
    """The filer has no requester at this provider and the provider has no default."""


async def resolve_requester(store: Store, provider: Provider, filer: Filer) -> Requester:
    """A stored link first, then whatever the provider itself can file as; else ``NotLinked``."""
    linked = await store.requester_link(filer.team_id, filer.user_id, provider.name)
    if linked is not None:
        return Requester(
            id=linked, label=f"{provider.title} requester {linked}", source=RequesterSource.LINK
        )
    fallback = provider.default_requester(filer)
    if fallback is not None:
        return fallback
    raise NotLinked(
        f"You are not linked to a {provider.title} requester yet, so the bot cannot tell whom "
        "to file as. Ask a ticketbot admin to link your Slack account."
    )
