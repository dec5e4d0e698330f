"""Polls: which open tickets the status poller reads next, and what it has seen of them.

Each due ticket is claimed by one process per interval however many run; a provider that
answers 429 has all its tickets' next polls moved back.
"""

from __future__ import annotations

import json
import time

from bot.domain.records import TicketRecord
from bot.store.database import Repository
from bot.store.tickets import claim_due


class PollQueries(Repository):
    async def stop_following(self, ticket_id: int) -> None:
        """The poller no longer reads this ticket (its status is not readable)."""
        await self._write1("UPDATE tickets SET closed = 1 WHERE id = ?", (ticket_id,))

    async def tickets_to_poll(self, now: float, limit: int) -> list[TicketRecord]:
        """Open tickets with a card whose next poll is due, the most overdue first, claimed
        for ``CLAIM_SECONDS`` (``update_polled`` sets the real next time), so each ticket is
        read by one process per interval however many run."""
        return await claim_due(
            self._db, "next_poll_at", "closed = 0 AND card_ts IS NOT NULL", now, limit
        )

    async def oldest_poll_due(self) -> float | None:
        row = await self._row(
            "SELECT MIN(next_poll_at) FROM tickets WHERE closed = 0 AND card_ts IS NOT NULL"
        )
        return float(row[0]) if row and row[0] is not None else None

    async def update_polled(
        self,
        ticket_id: int,
        *,
        status: str,
        closed: bool,
        seen_messages: tuple[str, ...],
        next_poll_at: float,
        done_at: float | None = None,
        replied_at: float | None = None,
    ) -> None:
        """What a poll read. ``closed``: no more polls; ``done_at``: the provider said closed
        (the first time counts); ``replied_at``: staff answered (the first time counts)."""
        await self._write1(
            "UPDATE tickets SET status = ?, closed = ?, seen_messages = ?, next_poll_at = ?,"
            " updated_at = ?, closed_at = COALESCE(closed_at, ?),"
            " first_reply_at = COALESCE(first_reply_at, ?) WHERE id = ?",
            (
                status,
                int(closed),
                json.dumps(list(seen_messages)),
                next_poll_at,
                time.time(),
                done_at,
                replied_at,
                ticket_id,
            ),
        )

    async def delay_polls(self, provider: str, until: float) -> None:
        """Back off every ticket of a provider (it answered 429)."""
        await self._write1(
            "UPDATE tickets SET next_poll_at = CASE WHEN next_poll_at > ? THEN next_poll_at"
            " ELSE ? END WHERE provider = ? AND closed = 0",
            (until, until, provider),
        )
