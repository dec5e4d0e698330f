"""Filed tickets: where their card is, and what the poller has seen of them."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.providers.base import TicketRef
from bot.store.database import Database
from bot.store.records import Submission, SubmissionState, TicketRecord


class TicketQueries(Database):
    async def record_ticket(
        self,
        *,
        submission: Submission,
        ref: TicketRef,
        subject: str,
        priority: str | None,
    ) -> TicketRecord:
        """Store the filed ticket and mark its submission filed, in one transaction."""
        now = time.time()
        async with self._transaction() as db:
            cur = await db.execute(
                "INSERT INTO tickets (provider, provider_ticket_id, number, url, subject, priority,"
                " status, team_id, filed_by, channel_id, thread_ts, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ref.provider,
                    ref.id,
                    ref.number,
                    ref.url,
                    subject,
                    priority,
                    ref.status,
                    submission.team_id,
                    submission.user_id,
                    submission.channel_id,
                    submission.thread_ts,
                    now,
                    now,
                ),
            )
            ticket_id = cur.lastrowid
            await db.execute(
                "UPDATE submissions SET state = ?, ticket_id = ?, last_error = NULL,"
                " updated_at = ? WHERE id = ?",
                (SubmissionState.FILED, ticket_id, now, submission.id),
            )
        assert ticket_id is not None
        record = await self.ticket(ticket_id)
        assert record is not None
        return record

    async def ticket(self, ticket_id: int) -> TicketRecord | None:
        async with self._db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)) as cur:
            row = await cur.fetchone()
        return _ticket(row) if row else None

    async def set_card(
        self, ticket_id: int, *, channel_id: str, card_ts: str, thread_ts: str
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE tickets SET channel_id = ?, card_ts = ?, thread_ts = ?, updated_at = ?"
                " WHERE id = ?",
                (channel_id, card_ts, thread_ts, time.time(), ticket_id),
            )


def _ticket(row: Any) -> TicketRecord:
    return TicketRecord(
        id=row["id"],
        provider=row["provider"],
        provider_ticket_id=row["provider_ticket_id"],
        number=row["number"],
        url=row["url"],
        subject=row["subject"],
        priority=row["priority"],
        status=row["status"],
        team_id=row["team_id"],
        filed_by=row["filed_by"],
        channel_id=row["channel_id"],
        card_ts=row["card_ts"],
        thread_ts=row["thread_ts"],
        created_at=row["created_at"],
        closed=bool(row["closed"]),
        seen_messages=tuple(json.loads(row["seen_messages"] or "[]")),
    )
