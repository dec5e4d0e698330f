"""Submissions: persisted before any provider call, keyed so that they file once."""

from __future__ import annotations

import time
from typing import Any

from bot.store.database import Database
from bot.store.records import Submission, SubmissionState


class SubmissionQueries(Database):
    async def begin_submission(
        self,
        *,
        key: str,
        team_id: str,
        user_id: str,
        provider: str,
        channel_id: str | None,
        thread_ts: str | None,
        draft: str,
    ) -> tuple[Submission, bool]:
        """Persist a submission before any provider call; the key makes it idempotent.

        Returns the stored submission and whether this call created it.
        """
        now = time.time()
        async with self._transaction() as db:
            cur = await db.execute(
                "INSERT OR IGNORE INTO submissions (idempotency_key, team_id, user_id, provider,"
                " channel_id, thread_ts, draft, state, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    team_id,
                    user_id,
                    provider,
                    channel_id,
                    thread_ts,
                    draft,
                    SubmissionState.PENDING,
                    now,
                    now,
                ),
            )
            created = cur.rowcount == 1
        submission = await self.submission_by_key(key)
        assert submission is not None
        return submission, created

    async def submission_by_key(self, key: str) -> Submission | None:
        async with self._db.execute(
            "SELECT * FROM submissions WHERE idempotency_key = ?", (key,)
        ) as cur:
            row = await cur.fetchone()
        return _submission(row) if row else None

    async def claim_submission(self, submission_id: int, draft: str) -> bool:
        """Move a pending or failed submission to filing; False if another worker has it."""
        async with self._transaction() as db:
            cur = await db.execute(
                "UPDATE submissions SET state = ?, draft = ?, attempts = attempts + 1,"
                " updated_at = ? WHERE id = ? AND state IN (?, ?, ?)",
                (
                    SubmissionState.FILING,
                    draft,
                    time.time(),
                    submission_id,
                    SubmissionState.PENDING,
                    SubmissionState.FAILED,
                    SubmissionState.RETRYING,
                ),
            )
            return cur.rowcount == 1

    async def fail_submission(self, submission_id: int, reason: str) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE submissions SET state = ?, last_error = ?, updated_at = ? WHERE id = ?",
                (SubmissionState.FAILED, reason[:500], time.time(), submission_id),
            )

    async def submission(self, submission_id: int) -> Submission | None:
        async with self._db.execute(
            "SELECT * FROM submissions WHERE id = ?", (submission_id,)
        ) as cur:
            row = await cur.fetchone()
        return _submission(row) if row else None

    async def _set_state(
        self,
        submission_id: int,
        state: SubmissionState,
        reason: str,
        next_at: float | None = None,
        check_twin: bool = False,
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE submissions SET state = ?, last_error = ?, next_attempt_at = ?,"
                " check_twin = ?, updated_at = ? WHERE id = ?",
                (state, reason[:500], next_at, int(check_twin), time.time(), submission_id),
            )

    async def schedule_retry(
        self, submission_id: int, *, at: float, reason: str, check_twin: bool
    ) -> None:
        """Park a submission for the retry worker; ``check_twin``: look before re-sending."""
        await self._set_state(submission_id, SubmissionState.RETRYING, reason, at, check_twin)

    async def give_up(self, submission_id: int, reason: str) -> None:
        await self._set_state(submission_id, SubmissionState.GAVE_UP, reason)

    async def due_submissions(self, now: float, limit: int = 20) -> list[Submission]:
        async with self._db.execute(
            "SELECT * FROM submissions WHERE state = ? AND next_attempt_at <= ?"
            " ORDER BY next_attempt_at LIMIT ?",
            (SubmissionState.RETRYING, now, limit),
        ) as cur:
            return [_submission(row) for row in await cur.fetchall()]

    async def next_due_at(self) -> float | None:
        async with self._db.execute(
            "SELECT MIN(next_attempt_at) FROM submissions WHERE state = ?",
            (SubmissionState.RETRYING,),
        ) as cur:
            row = await cur.fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def resume_interrupted(self) -> int:
        """On start: submissions left mid-call by a stopped process are retried, after a look
        for a twin (the provider may have filed them before the process died)."""
        now = time.time()
        async with self._transaction() as db:
            cur = await db.execute(
                "UPDATE submissions SET state = ?, next_attempt_at = ?, check_twin = 1,"
                " last_error = 'interrupted by a restart', updated_at = ? WHERE state IN (?, ?)",
                (
                    SubmissionState.RETRYING,
                    now,
                    now,
                    SubmissionState.FILING,
                    SubmissionState.PENDING,
                ),
            )
            return cur.rowcount

    async def count_retrying(self) -> int:
        async with self._db.execute(
            "SELECT COUNT(*) FROM submissions WHERE state = ?", (SubmissionState.RETRYING,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def set_submission_card(
        self, submission_id: int, *, channel_id: str, card_ts: str
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE submissions SET card_channel = ?, card_ts = ? WHERE id = ?",
                (channel_id, card_ts, submission_id),
            )


def _submission(row: Any) -> Submission:
    return Submission(
        id=row["id"],
        key=row["idempotency_key"],
        team_id=row["team_id"],
        user_id=row["user_id"],
        provider=row["provider"],
        channel_id=row["channel_id"],
        thread_ts=row["thread_ts"],
        draft=row["draft"],
        state=SubmissionState(row["state"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        ticket_id=row["ticket_id"],
        next_attempt_at=row["next_attempt_at"],
        card_channel=row["card_channel"],
        card_ts=row["card_ts"],
        created_at=row["created_at"],
        check_twin=bool(row["check_twin"]),
    )
