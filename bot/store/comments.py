"""Comments the bot adds to provider tickets by itself, kept until sent: keyed so that each
is sent once, however many processes (or Slack re-deliveries) ask for it."""

from __future__ import annotations

from typing import Any

from bot.domain.records import Comment, CommentState
from bot.store.database import Repository

C = CommentState
FIRST_ATTEMPT_WITHIN = 60.0  # a kept comment whose first attempt has not started is due then


class CommentQueries(Repository):
    async def add_comment(self, key: str, ticket_id: int, body: str, now: float) -> Comment | None:
        """Keep a comment to send, claimed for its first attempt; None if ``key`` is kept
        already (it is another caller's to send)."""
        rows = await self._write1(
            "INSERT INTO comments (comment_key, ticket_id, body, state, attempts,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, 1, ?, ?)"
            " ON CONFLICT (comment_key) DO NOTHING RETURNING *",
            (key, ticket_id, body, C.SENDING, now + FIRST_ATTEMPT_WITHIN, now),
        )
        return _comment(rows[0]) if rows else None

    async def due_comments(self, now: float, limit: int = 20) -> list[Comment]:
        """Comments whose next attempt is due (or whose first never finished), claimed."""
        rows = await self._write1(
            "UPDATE comments SET state = ?, attempts = attempts + 1, next_attempt_at = ?"  # noqa: S608
            " WHERE id IN (SELECT id FROM comments WHERE state IN (?, ?)"
            f" AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?{self._db.skip_locked})"
            " RETURNING *",
            (C.SENDING, now + FIRST_ATTEMPT_WITHIN, C.RETRYING, C.PENDING, now, limit),
        )
        return [_comment(row) for row in rows]

    async def next_comment_due(self) -> float | None:
        row = await self._row(
            "SELECT MIN(next_attempt_at) FROM comments WHERE state IN (?, ?)",
            (C.RETRYING, C.PENDING),
        )
        return float(row[0]) if row and row[0] is not None else None

    async def comment_done(
        self, comment_id: int, state: CommentState, reason: str | None = None
    ) -> None:
        await self._write1(
            "UPDATE comments SET state = ?, last_error = ?, next_attempt_at = NULL WHERE id = ?",
            (state, reason, comment_id),
        )

    async def comment_later(self, comment_id: int, at: float, reason: str) -> None:
        await self._write1(
            "UPDATE comments SET state = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
            (C.RETRYING, reason, at, comment_id),
        )

    async def comments_of(self, ticket_id: int) -> list[Comment]:
        rows = await self._rows(
            "SELECT * FROM comments WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        return [_comment(row) for row in rows]


def _comment(row: Any) -> Comment:
    return Comment(
        id=row["id"],
        key=row["comment_key"],
        ticket_id=row["ticket_id"],
        body=row["body"],
        state=CommentState(row["state"]),
        attempts=row["attempts"],
        created_at=row["created_at"],
    )
