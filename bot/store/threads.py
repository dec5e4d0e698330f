"""Threads that follow a ticket besides its card's: a message added to the ticket brings its
thread along (status changes and staff replies are posted there, replies there reach it)."""

from __future__ import annotations

from bot.domain.records import TicketRecord
from bot.store.database import Repository
from bot.store.tickets import _ticket


class ThreadQueries(Repository):
    async def follow_thread(
        self, ticket_id: int, channel_id: str, thread_ts: str, *, user_id: str, now: float
    ) -> bool:
        """The thread follows the ticket from now on; False if it did already."""
        rows = await self._write1(
            "INSERT INTO ticket_threads (channel_id, thread_ts, ticket_id, added_by, added_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING ticket_id",
            (channel_id, thread_ts, ticket_id, user_id, now),
        )
        return bool(rows)

    async def followed_threads(self, ticket_id: int) -> list[tuple[str, str]]:
        """(channel, thread ts) of each thread following the ticket, besides its card's."""
        rows = await self._rows(
            "SELECT channel_id, thread_ts FROM ticket_threads WHERE ticket_id = ?"
            " ORDER BY added_at",
            (ticket_id,),
        )
        return [(str(row["channel_id"]), str(row["thread_ts"])) for row in rows]

    async def ticket_by_followed_thread(
        self, channel_id: str, thread_ts: str
    ) -> TicketRecord | None:
        """The ticket this thread was last made to follow, if any."""
        row = await self._row(
            "SELECT tickets.* FROM ticket_threads JOIN tickets"
            " ON tickets.id = ticket_threads.ticket_id"
            " WHERE ticket_threads.channel_id = ? AND ticket_threads.thread_ts = ?"
            " ORDER BY ticket_threads.added_at DESC LIMIT 1",
            (channel_id, thread_ts),
        )
        return _ticket(row) if row else None
