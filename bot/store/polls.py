"""Polls: which open tickets the status poller reads next, and what it has seen of them.

A claim takes a provider's due tickets by moving their ``next_poll_at`` on by a lease, in one
statement (``SKIP LOCKED`` where several processes share the database): each ticket goes to one
replica, and the read then sets the real next time. A replica that dies with claims in hand
lets them lapse when the lease ends; everything else it would have read is simply due, and
taken by whichever replica claims first. A hold (``poll_holds``) is a provider's answer "429,
retry after": while it lasts no replica claims that provider's tickets.
"""

from __future__ import annotations

import json
import time

from bot.domain.polls import ClaimedPoll, ProviderPolls
from bot.domain.records import TicketRecord
from bot.store.database import Repository
from bot.store.tickets import _ticket, claim_due


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

    async def poll_plan(self) -> dict[str, ProviderPolls]:
        """Per provider: its followed tickets, the earliest due, and its hold (if any)."""
        rows = await self._rows(
            "SELECT tickets.provider, COUNT(*), MIN(tickets.next_poll_at),"
            " MAX(poll_holds.held_until) FROM tickets"
            " LEFT JOIN poll_holds ON poll_holds.provider = tickets.provider"
            " WHERE tickets.closed = 0 AND tickets.card_ts IS NOT NULL GROUP BY tickets.provider"
        )
        return {
            str(row[0]): ProviderPolls(
                open=int(row[1]),
                next_due=float(row[2]),
                held_until=None if row[3] is None else float(row[3]),
            )
            for row in rows
        }

    async def claim_polls(
        self, provider: str, now: float, limit: int, lease: float
    ) -> list[ClaimedPoll]:
        """Up to ``limit`` of the provider's due tickets, the most overdue first, claimed for
        ``lease`` seconds; none while the provider is held. A ticket claimed the first time
        gets its place among its provider's (``poll_seq``: how many have an id up to its)."""
        rows = await self._write1(
            "UPDATE tickets SET next_poll_at = ?, poll_seq = COALESCE(poll_seq, (SELECT COUNT(*)"  # noqa: S608
            " FROM tickets AS earlier WHERE earlier.provider = tickets.provider"
            " AND earlier.id <= tickets.id)) WHERE id IN (SELECT id FROM tickets"
            " WHERE provider = ? AND closed = 0 AND card_ts IS NOT NULL AND next_poll_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM poll_holds WHERE poll_holds.provider = ?"
            f" AND held_until > ?) ORDER BY next_poll_at LIMIT ?{self._db.skip_locked})"
            " RETURNING *",
            (now + lease, provider, now, provider, now, limit),
        )
        claimed = (ClaimedPoll(_ticket(row), int(row["poll_seq"])) for row in rows)
        return sorted(claimed, key=lambda c: c.ticket.id)

    async def hold_polls(self, provider: str, until: float) -> None:
        """No replica claims the provider's tickets before ``until`` (a later hold stands)."""
        await self._write1(
            "INSERT INTO poll_holds (provider, held_until) VALUES (?, ?)"
            " ON CONFLICT (provider) DO UPDATE SET held_until = excluded.held_until"
            " WHERE poll_holds.held_until < excluded.held_until",
            (provider, until),
        )

    async def poll_again_at(self, ticket_id: int, at: float) -> None:
        """The claimed read did not happen (the provider held it off): read the ticket at
        ``at``, its claim given back."""
        await self._write1("UPDATE tickets SET next_poll_at = ? WHERE id = ?", (at, ticket_id))
