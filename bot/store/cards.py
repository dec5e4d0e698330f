"""Cards: the message in Slack that shows a ticket (or a submission still being filed), and
the cards owed, which Slack would not take or a stopped process never posted.

A ticket's card is owed from the moment it is recorded (``TicketQueries.record_ticket``);
posting it clears that, and each owed card is claimed by one process however many run.
"""

from __future__ import annotations

import time

from bot.domain.records import TicketRecord
from bot.store.database import Repository
from bot.store.submissions import alive
from bot.store.tickets import claim_due


class CardQueries(Repository):
    async def set_card(
        self, ticket_id: int, *, channel_id: str, card_ts: str, thread_ts: str
    ) -> None:
        await self._write1(
            "UPDATE tickets SET channel_id = ?, card_ts = ?, thread_ts = ?, card_due_at = NULL,"
            " updated_at = ? WHERE id = ?",
            (channel_id, card_ts, thread_ts, time.time(), ticket_id),
        )

    async def owe_card(self, ticket_id: int, at: float | None) -> None:
        """The card could not be posted: try again ``at`` (None: stop trying)."""
        await self._write1("UPDATE tickets SET card_due_at = ? WHERE id = ?", (at, ticket_id))

    async def cards_due(self, now: float, limit: int = 20) -> list[TicketRecord]:
        """Owed cards due now, claimed for ``CLAIM_SECONDS`` (posting one clears it, failing
        sets its next time), so each is posted by one process however many run."""
        return await claim_due(self._db, "card_due_at", "card_due_at IS NOT NULL", now, limit)

    async def release_owed_cards(self, dead_after: float, *, at_start: bool = False) -> int:
        """The cards a stopped process recorded tickets for but did not post are due now,
        not at the end of their grace (see ``resume_interrupted`` for "stopped")."""
        now = time.time()
        working, params = alive(self._db.replica_id, self._db.sole, at_start, now - dead_after)
        dead = (
            "SELECT id FROM submissions WHERE state = 'filed' AND claimed_by IS NOT NULL"  # noqa: S608
            f" AND NOT ({working})"
        )
        rows = await self._write1(
            "UPDATE tickets SET card_due_at = ? WHERE card_due_at > ?"  # noqa: S608
            f" AND submission_id IN ({dead}) RETURNING id",
            (now, now, *params),
        )
        await self._write1(  # NOTE: released once; their claimer is gone
            f"UPDATE submissions SET claimed_by = NULL WHERE id IN ({dead})",  # noqa: S608
            params,
        )
        return len(rows)

    async def count_owed_cards(self) -> int:
        row = await self._row("SELECT COUNT(*) FROM tickets WHERE card_due_at IS NOT NULL")
        return int(row[0]) if row else 0

    async def next_card_due_at(self) -> float | None:
        row = await self._row("SELECT MIN(card_due_at) FROM tickets WHERE card_due_at IS NOT NULL")
        return float(row[0]) if row and row[0] is not None else None

    async def set_submission_card(
        self, submission_id: int, *, channel_id: str, card_ts: str
    ) -> None:
        await self._write1(
            "UPDATE submissions SET card_channel = ?, card_ts = ? WHERE id = ?",
            (channel_id, card_ts, submission_id),
        )
