"""The provider's response times: tickets whose first answer is overdue (each reminded once,
however many processes run), and the tickets behind the figures."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.records import TicketRecord
from bot.store.database import Repository
from bot.store.tickets import _ticket


class ResponseQueries(Repository):
    async def claim_overdue(
        self, targets: Mapping[str, float], now: float, limit: int = 20
    ) -> list[TicketRecord]:
        """Open tickets with a card whose provider has not answered within its target
        (provider → seconds), each claimed once: its reminder is posted by one caller."""
        found: list[TicketRecord] = []
        for provider, seconds in targets.items():
            rows = await self._write1(
                "UPDATE tickets SET reminded_at = ? WHERE id IN (SELECT id FROM tickets"  # noqa: S608
                " WHERE provider = ? AND first_reply_at IS NULL AND closed_at IS NULL"
                " AND reminded_at IS NULL AND card_ts IS NOT NULL AND created_at <= ?"
                f" ORDER BY id LIMIT ?{self._db.skip_locked}) RETURNING *",
                (now, provider, now - seconds, limit),
            )
            found += [_ticket(row) for row in rows]
        return found

    async def tickets_since(
        self, team_id: str, since: float, provider: str | None = None
    ) -> list[TicketRecord]:
        """Tickets filed since ``since``, for the response-time figures."""
        if provider is None:
            rows = await self._rows(
                "SELECT * FROM tickets WHERE team_id = ? AND created_at >= ?", (team_id, since)
            )
        else:
            rows = await self._rows(
                "SELECT * FROM tickets WHERE team_id = ? AND created_at >= ? AND provider = ?",
                (team_id, since, provider),
            )
        return [_ticket(row) for row in rows]
