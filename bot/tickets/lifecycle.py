"""The alert after its ticket: a later message with the same identity either fired again or
resolved; the ticket's thread hears of both, and so does the provider (``comments``).

The alert is known by its key (``bot.domain.alerts.alert_key``: the channel, the sender and
the identity its tool gives it; the rules per tool are in docs/alerts.md), so a look-alike
from another channel or another app never moves this ticket. The ticket is never closed by
the bot: no provider documents closing one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.domain.records import AlertPhase, TicketRecord
from bot.domain.text import utc_time
from bot.providers.base import Provider
from bot.store.alerts import AlertQueries
from bot.store.marks import MarkQueries
from bot.tickets.comments import ProviderComments
from bot.tickets.outcomes import TellsAlerts
from bot.tickets.routing import AlertPolicy

log = logging.getLogger(__name__)
REFIRE_COMMENT_EVERY = 3600.0


@dataclass(frozen=True)
class AlertMessage:
    """A message in a channel that carries an alert's key: a new one, or (``edited``) the
    alert's own message edited to a new state at ``at``."""

    team_id: str
    channel_id: str
    ts: str
    key: str
    resolved: bool
    at: float
    edited: bool = False
    legacy_key: str | None = None  # what 0.1.0 kept instead of ``key`` (domain.alerts)

    @property
    def said(self) -> str:
        """What names this piece of news: the message, or the message and its edit."""
        return f"{self.ts}:edited:{self.at:.6f}" if self.edited else self.ts


def duration(seconds: float) -> str:
    minutes = max(0, round(seconds / 60))
    if minutes < 90:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


class AlertLifecycle:
    def __init__(
        self,
        alerts: AlertQueries,
        marks: MarkQueries,
        providers: Mapping[str, Provider],
        comments: ProviderComments,
        clock: Callable[[], float],
        announce: TellsAlerts,
    ) -> None:
        self._alerts = alerts
        self._marks = marks
        self._providers = providers
        self._comments = comments
        self._clock = clock
        self._announce = announce

    async def seen(self, message: AlertMessage, policy: AlertPolicy) -> TicketRecord | None:
        """Follow up the open ticket filed for this alert, if there is one; returns it."""
        if not policy.follow:
            return None
        # NOTE: the read first: most alerts have no ticket, and for those the bot writes
        # nothing (a storm of them cost a write each, queued behind the filings' writes).
        tickets = await self._alerts.alert_tickets(message.team_id, message.key)
        if not tickets and message.legacy_key:
            tickets = await self._alerts.adopt_legacy(
                message.team_id, message.channel_id, message.legacy_key, message.key
            )
        tickets = [
            t
            for t in tickets
            if t.alert is not None and (message.edited or t.source_ts != message.ts)
        ]
        if not tickets:
            log.debug("no open ticket for this alert in this channel from this sender")
            return None
        if not await self._marks.remember_event(f"alert:{message.channel_id}:{message.said}"):
            return None  # NOTE: Slack re-delivered it, or another replica has it
        if len(tickets) > 1:
            log.info(
                "an alert matches several open tickets; the newest is updated",
                extra={"tickets": [t.number for t in tickets]},
            )
        ticket = tickets[0]
        if ticket.alert is not None and message.at < ticket.alert.fired_at:
            return None  # NOTE: older than the firing it was filed for: nothing new
        if message.resolved:
            return await self._resolved(ticket, message, policy)
        return await self._fired_again(ticket, message, policy)

    def _title(self, ticket: TicketRecord) -> str:
        provider = self._providers.get(ticket.provider)
        return provider.title if provider else ticket.provider

    async def _fired_again(
        self, ticket: TicketRecord, message: AlertMessage, policy: AlertPolicy
    ) -> TicketRecord:
        ticket = await self._alerts.fired_again(ticket.id, message.at)
        assert ticket.alert is not None
        if ticket.thread_ts:
            posted = await self._announce.alert_fired_again(
                ticket, self._title(ticket), message.at, ticket.alert.firings
            )
            if posted is not None:
                await self._alerts.set_firing_note(ticket.id, posted)
        if policy.comment_on_refire and await self._alerts.claim_refire_comment(
            ticket.id, self._clock(), REFIRE_COMMENT_EVERY
        ):
            await self._comments.add(
                ticket,
                f"refire:{ticket.id}:{message.said}",
                f"The alert fired again at {utc_time(message.at)} "
                f"({ticket.alert.firings} times since filing).",
            )
        return ticket

    async def _resolved(
        self, ticket: TicketRecord, message: AlertMessage, policy: AlertPolicy
    ) -> TicketRecord | None:
        if ticket.alert is None or ticket.alert.phase is AlertPhase.RESOLVED:
            return None
        resolved = await self._alerts.resolved(ticket.id, message.at)
        if resolved is None or resolved.alert is None:
            return None  # NOTE: resolved already (another replica, another message)
        lasted = message.at - resolved.alert.fired_at
        if resolved.thread_ts:
            await self._announce.alert_resolved(
                resolved, self._title(resolved), message.at, duration(lasted)
            )
        if policy.comment_on_resolve:
            await self._comments.add(
                resolved,
                f"resolved:{resolved.id}:{message.said}",
                f"The alert resolved at {utc_time(message.at)}, after {duration(lasted)}.",
            )
        return resolved
