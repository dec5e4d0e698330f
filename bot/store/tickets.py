"""Filed tickets: recorded once per provider ticket, found by message, thread or number.

Where their card is (``bot.store.cards``) and what the poller has seen of them
(``bot.store.polls``) are written by those repositories, on the same rows.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bot.domain.errors import AlreadyRecorded
from bot.domain.records import AlertPhase, AlertState, Submission, TicketRecord
from bot.domain.tickets import TicketRef
from bot.store.database import Database, Repository

CARD_GRACE = 60.0  # seconds the filing has to post its card before the retry worker does
CLAIM_SECONDS = 120.0  # a claimed poll or owed card goes back to the pool if not done by then


class TicketQueries(Repository):
    async def record_ticket(
        self,
        *,
        submission: Submission,
        ref: TicketRef,
        subject: str,
        priority: str | None,
        source_ts: str | None = None,
        fingerprint: str | None = None,
    ) -> TicketRecord:
        """Store the filed ticket; a trigger marks its submission filed in the same statement.

        Its card is owed from this moment (``card_due_at``, ``CARD_GRACE`` on): posting it
        clears that, so a process that dies between the two leaves the card to the retry
        worker of the next one, and the ticket's number still reaches the channel.
        """
        now = time.time()
        try:
            rows = await self._write1(
                "INSERT INTO tickets (provider, provider_ticket_id, number, url, subject, priority,"
                " status, team_id, filed_by, channel_id, thread_ts, created_at, updated_at,"
                " submission_id, source_channel, source_ts, fingerprint, filed_from, card_due_at,"
                " alert_state, fired_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING *",
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
                    submission.id,
                    submission.channel_id if source_ts else None,
                    source_ts,
                    fingerprint,
                    submission.channel_id,
                    now + CARD_GRACE,
                    AlertPhase.FIRING.value if fingerprint else None,
                    _ts_time(source_ts, now) if fingerprint else None,
                ),
            )
        except self._db.integrity_errors as exc:
            raise AlreadyRecorded(f"{ref.provider} ticket {ref.id} is recorded already") from exc
        return _ticket(rows[0])

    async def find_duplicate(
        self, team_id: str, channel_id: str | None, message_ts: str | None, fingerprint: str | None
    ) -> TicketRecord | None:
        """The latest ticket filed from this message, or for this alert fingerprint."""
        # NOTE: two indexed look-ups; one query with OR would scan the table.
        row = await self._row(
            "SELECT * FROM tickets WHERE team_id = ? AND source_channel = ? AND source_ts = ?"
            " ORDER BY id DESC LIMIT 1",
            (team_id, channel_id, message_ts),
        )
        if row is None and fingerprint:
            row = await self._row(
                "SELECT * FROM tickets WHERE team_id = ? AND fingerprint = ?"
                " ORDER BY id DESC LIMIT 1",
                (team_id, fingerprint),
            )
        return _ticket(row) if row else None

    async def recorded_by(self, provider: str, provider_ticket_id: str) -> int | None:
        """The submission that recorded this provider ticket (0 for one recorded without a
        submission); None if it is not recorded."""
        row = await self._row(
            "SELECT submission_id FROM tickets WHERE provider = ? AND provider_ticket_id = ?",
            (provider, provider_ticket_id),
        )
        return None if row is None else int(row["submission_id"] or 0)

    async def ticket(self, ticket_id: int) -> TicketRecord | None:
        row = await self._row("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        return _ticket(row) if row else None

    async def ticket_by_thread(self, channel_id: str, thread_ts: str) -> TicketRecord | None:
        row = await self._row(
            "SELECT * FROM tickets WHERE channel_id = ? AND thread_ts = ? ORDER BY id DESC LIMIT 1",
            (channel_id, thread_ts),
        )
        return _ticket(row) if row else None

    async def tickets_by_number(self, team_id: str, number: str) -> list[TicketRecord]:
        # NOTE: each half by its own index (an OR of the two reads every ticket of the team)
        rows = await self._rows(
            "SELECT * FROM tickets WHERE id IN ("
            "SELECT id FROM tickets WHERE team_id = ? AND number = ?"
            " UNION SELECT id FROM tickets WHERE team_id = ? AND provider_ticket_id = ?"
            ") ORDER BY id DESC",
            (team_id, number, team_id, number),
        )
        return [_ticket(row) for row in rows]


async def claim_due(
    db: Database, due: str, where: str, now: float, limit: int
) -> list[TicketRecord]:
    """Tickets ``where`` whose ``due`` time has come, the most overdue first, claimed by
    moving ``due`` ``CLAIM_SECONDS`` on (``SKIP LOCKED`` where several processes share the
    database); ``due`` and ``where`` are the store's own SQL (owed cards, polls), never input."""
    rows = await db.write1(
        f"UPDATE tickets SET {due} = ? WHERE id IN (SELECT id FROM tickets"  # noqa: S608
        f" WHERE {where} AND {due} <= ? ORDER BY {due} LIMIT ?{db.skip_locked})"
        " RETURNING *",
        (now + CLAIM_SECONDS, now, limit),
    )
    return sorted((_ticket(row) for row in rows), key=lambda t: t.id)


def _ts_time(ts: str | None, default: float) -> float:
    """A Slack message ts as epoch seconds (it is one), else ``default``."""
    try:
        return float(ts) if ts else default
    except ValueError:
        return default


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
        next_poll_at=row["next_poll_at"],
        filed_from=row["filed_from"],
        card_due_at=row["card_due_at"],
        submission_id=row["submission_id"],
        fingerprint=row["fingerprint"],
        source_ts=row["source_ts"],
        first_reply_at=row["first_reply_at"],
        closed_at=row["closed_at"],
        reminded_at=row["reminded_at"],
        alert=_alert(row),
    )


def _alert(row: Any) -> AlertState | None:
    if row["alert_state"] is None:
        return None
    return AlertState(
        phase=AlertPhase(row["alert_state"]),
        fired_at=row["fired_at"],
        firings=row["firings"],
        note_ts=row["firing_note_ts"],
    )
