"""How fast each provider answers: a reminder in the thread when a provider's target for a
first staff reply passes, and the figures ``/ticket stats`` and the App Home show.

A ticket's times are when it was filed, when staff first replied (as the poller saw it) and
when the provider first said closed. A provider whose status cannot be read cannot report
replies: its figures say so instead of showing zeros.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence

from bot.domain.figures import ProviderFigures
from bot.domain.records import TicketRecord
from bot.providers.base import Provider, reads_status
from bot.store.responses import ResponseQueries
from bot.tickets.outcomes import TellsAlerts

DAY = 86_400.0
CHECK_EVERY = 60.0  # seconds between looks for overdue tickets, per process


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (p90 of 10 values is the 9th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def figures(
    provider: str,
    title: str,
    tickets: Sequence[TicketRecord],
    *,
    can_report: bool,
    target: float | None,
    now: float,
) -> ProviderFigures:
    """The figures for ``tickets`` of one provider. ``within_target`` counts the tickets
    answered within ``target`` among those answered or whose target has passed unanswered."""
    if not can_report:
        return ProviderFigures(provider, title, len(tickets), False, target=target)
    replies = [t.first_reply_at - t.created_at for t in tickets if t.first_reply_at is not None]
    closes = [t.closed_at - t.created_at for t in tickets if t.closed_at is not None]
    within = None
    if target is not None:
        measurable = [
            t for t in tickets if t.first_reply_at is not None or now - t.created_at > target
        ]
        if measurable:
            met = [
                t
                for t in measurable
                if t.first_reply_at is not None and t.first_reply_at - t.created_at <= target
            ]
            within = len(met) / len(measurable)
    return ProviderFigures(
        provider=provider,
        title=title,
        filed=len(tickets),
        can_report=True,
        answered=len(replies),
        first_reply_median=statistics.median(replies) if replies else None,
        first_reply_p90=percentile(replies, 0.9) if replies else None,
        closed=len(closes),
        close_median=statistics.median(closes) if closes else None,
        target=target,
        within_target=within,
    )


class ResponseTimes:
    def __init__(
        self,
        responses: ResponseQueries,
        providers: Mapping[str, Provider],
        targets: Mapping[str, float | None],
        clock: Callable[[], float],
        announce: TellsAlerts,
    ) -> None:
        self._responses = responses
        self._providers = providers
        self._targets = {name: minutes * 60 for name, minutes in targets.items() if minutes}
        self._clock = clock
        self._announce = announce
        self._next_check = 0.0

    def can_report(self, name: str) -> bool:
        """Whether staff replies (and closing) can be seen at this provider."""
        return reads_status(self._providers.get(name))

    def check_due(self) -> bool:
        """Whether ``remind_overdue`` would look now (no I/O)."""
        return bool(self._targets) and self._clock() >= self._next_check

    async def remind_overdue(self) -> int:
        """One reminder in the thread of each ticket whose provider's target passed with no
        staff reply (each ticket once, across replicas); how many were posted."""
        targets = {name: s for name, s in self._targets.items() if self.can_report(name)}
        now = self._clock()
        if not targets or now < self._next_check:
            return 0
        # NOTE: a claim is a write; a reminder a minute late is as good as on time
        self._next_check = now + CHECK_EVERY
        overdue = await self._responses.claim_overdue(targets, now)
        for ticket in overdue:
            provider = self._providers[ticket.provider]
            await self._announce.no_reply_reminder(
                ticket, provider.title, now - ticket.created_at, targets[ticket.provider]
            )
        return len(overdue)

    async def figures(
        self, team_id: str, provider: str | None = None, days: float = 30
    ) -> list[ProviderFigures]:
        """Per provider (or the one named), over the last ``days``."""
        now = self._clock()
        tickets = await self._responses.tickets_since(team_id, now - days * DAY, provider)
        names = [provider] if provider else list(self._providers)
        return [
            figures(
                name,
                self._providers[name].title,
                [t for t in tickets if t.provider == name],
                can_report=self.can_report(name),
                target=self._targets.get(name),
                now=now,
            )
            for name in names
            if name in self._providers
        ]
