"""Who a ticket is filed as at the provider, in order:

1. a stored link for (workspace, Slack user, provider);
2. a verified match: the provider finds exactly one customer with the filer's Slack e-mail
   (the link is then stored, marked as found by e-mail);
3. what the provider itself can file as (the credential's own account, a config default, or
   Pulse's `user` requester, which is the e-mail itself);
4. otherwise ``NotLinked``: an admin must link the user (or pick the requester when filing).
"""

from __future__ import annotations

from bot.domain.errors import UserFixable
from bot.domain.tickets import Filer, Requester, RequesterSource
from bot.providers.base import Provider, SupportsCustomerSearch
from bot.store.links import LinkQueries

MATCHED_BY = "ticketbot (e-mail match)"


class NotLinked(UserFixable):
    """The filer has no requester at this provider and the provider has no default."""


def linked(provider: Provider, requester_id: str, how: str) -> Requester:
    return Requester(
        id=requester_id,
        label=f"{provider.title} requester #{requester_id} ({how})",
        source=RequesterSource.LINK,
    )


async def resolve_requester(
    links: LinkQueries, provider: Provider, filer: Filer, *, lookup: bool = True
) -> Requester | None:
    """The requester for ``filer``. With ``lookup`` False no provider call is made, and None
    means a look-up is needed to know."""
    fallback = provider.default_requester(filer)
    if fallback is not None and fallback.source is RequesterSource.TOKEN_OWNER:
        return fallback  # NOTE: the credential's own account; no link can change it
    stored = await links.requester_link(filer.team_id, filer.user_id, provider.name)
    if stored is not None:
        return linked(provider, stored, "linked")
    if isinstance(provider, SupportsCustomerSearch):
        if not lookup:
            return None
        if filer.email and (found := await provider.find_customer(filer.email)):
            await links.set_requester_link(
                team_id=filer.team_id,
                user_id=filer.user_id,
                provider=provider.name,
                requester_id=found,
                source=RequesterSource.EMAIL_MATCH,
                created_by=MATCHED_BY,
            )
            return Requester(
                id=found,
                source=RequesterSource.EMAIL_MATCH,
                label=f"{provider.title} requester #{found} ({filer.email})",
            )
    if fallback is not None:
        return fallback
    raise NotLinked(
        f"You are not linked to a {provider.title} requester yet, so the bot cannot tell whom "
        f"to file as. A ticketbot admin can link you with "
        f"`/ticket link @you {provider.name} <requester id>`."
    )


def admin_pick(provider: Provider, requester_id: str) -> Requester:
    return Requester(
        id=requester_id,
        source=RequesterSource.ADMIN_PICK,
        label=f"{provider.title} requester #{requester_id} (picked by an admin)",
    )
