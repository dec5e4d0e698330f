"""The alert after its ticket: fired again, resolved.

Every change is one statement that says whether it won, so replicas (and Slack's re-deliveries)
count a firing once and post a reminder once. Times come from the caller (its clock).
"""

from __future__ import annotations

from bot.domain.records import AlertPhase, TicketRecord
from bot.store.database import Repository
from bot.store.tickets import _ticket

FIRING, RESOLVED = AlertPhase.FIRING.value, AlertPhase.RESOLVED.value


class AlertQueries(Repository):
    async def alert_tickets(self, team_id: str, fingerprint: str) -> list[TicketRecord]:
        """The tickets filed for this alert that the provider has not closed, newest first."""
        rows = await self._rows(
            "SELECT * FROM tickets WHERE team_id = ? AND fingerprint = ? AND closed_at IS NULL"
            " ORDER BY id DESC LIMIT 10",
            (team_id, fingerprint),
        )
        return [_ticket(row) for row in rows]

    async def adopt_legacy(
        self, team_id: str, channel_id: str, legacy: str, key: str
    ) -> list[TicketRecord]:
        """The open tickets 0.1.0 filed for this alert from this channel, now known by ``key``
        (its sender's); read first, so an alert without such a ticket costs no write."""
        params = (team_id, channel_id, legacy)
        if not await self._rows(
            "SELECT id FROM tickets WHERE team_id = ? AND source_channel = ?"
            " AND fingerprint = ? AND closed_at IS NULL LIMIT 1",
            params,
        ):
            return []
        await self._write1(
            "UPDATE tickets SET fingerprint = ? WHERE team_id = ? AND source_channel = ?"
            " AND fingerprint = ? AND closed_at IS NULL",
            (key, *params),
        )
        return await self.alert_tickets(team_id, key)

    async def fired_again(self, ticket_id: int, at: float) -> TicketRecord:
        """Count one more firing; one after a resolve starts a new firing at ``at``."""
        rows = await self._write1(
            "UPDATE tickets SET firings = firings + 1,"
            " fired_at = CASE WHEN alert_state = ? THEN ? ELSE fired_at END,"
            " alert_state = ?, resolved_at = NULL WHERE id = ? RETURNING *",
            (RESOLVED, at, FIRING, ticket_id),
        )
        return _ticket(rows[0])

    async def set_firing_note(self, ticket_id: int, ts: str) -> None:
        await self._write1("UPDATE tickets SET firing_note_ts = ? WHERE id = ?", (ts, ticket_id))

    async def claim_refire_comment(self, ticket_id: int, now: float, every: float) -> bool:
        """True for one caller per ``every`` seconds per ticket: the provider hears of it."""
        rows = await self._write1(
            "UPDATE tickets SET refire_comment_at = ? WHERE id = ?"
            " AND (refire_comment_at IS NULL OR refire_comment_at <= ?) RETURNING id",
            (now, ticket_id, now - every),
        )
        return bool(rows)

    async def resolved(self, ticket_id: int, at: float) -> TicketRecord | None:
        """Mark the alert resolved at ``at``; None if it was already (said once)."""
        rows = await self._write1(
            "UPDATE tickets SET alert_state = ?, resolved_at = ?, firing_note_ts = NULL"
            " WHERE id = ? AND alert_state = ? RETURNING *",
            (RESOLVED, at, ticket_id, FIRING),
        )
        return _ticket(rows[0]) if rows else None
