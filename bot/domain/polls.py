"""What the status poller plans by: each provider's open tickets and when they fall due."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.records import TicketRecord


@dataclass(frozen=True)
class ProviderPolls:
    """One provider's followed tickets, as the store has them now."""

    open: int  # open tickets with a card: the ones read every interval
    next_due: float  # the earliest next_poll_at among them (epoch seconds)
    held_until: float | None = None  # a 429 holds every replica's polls of it until then


@dataclass(frozen=True)
class ClaimedPoll:
    """A ticket claimed for a read by this process."""

    ticket: TicketRecord
    seq: int  # its place among its provider's tickets, by id: where its slot falls
