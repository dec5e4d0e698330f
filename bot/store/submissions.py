"""Submissions: persisted before any provider call, keyed so that they file once.

Every write here is one statement (one round trip; see ``Database.write1``).
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import Any

from bot.domain.records import Submission, SubmissionState
from bot.store.coalesce import Coalescer
from bot.store.database import Repository

S = SubmissionState
# a filing claim older than this is taken over even from a live process (bot.tickets.attempts)
CLAIM_SECONDS = 600.0


class SubmissionQueries(Repository):
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
        first_attempt_by: float,
    ) -> tuple[Submission, bool]:
        """Persist a submission before any provider call; the key makes it idempotent.

        ``first_attempt_by``: if no attempt has claimed it by then, it is due for the retry
        worker (``due_submissions``). Returns the stored submission and whether this call
        created it.
        """
        now = time.time()
        row = await self._new_submissions(
            (
                key,
                team_id,
                user_id,
                provider,
                channel_id,
                thread_ts,
                draft,
                S.PENDING,
                first_attempt_by,
                now,
                now,
            )
        )
        return _submission(row), row["created_at"] == now

    @cached_property
    def _new_submissions(self) -> Coalescer[tuple[Any, ...], Any]:
        """Submits that arrive together are inserted by one statement (the ack waits on it)."""

        async def insert(rows: list[tuple[Any, ...]]) -> list[Any]:
            # NOTE: one row per key: PostgreSQL refuses a statement that upserts a row twice (a
            # double click whose two submits arrived together); the repeat gets the same row.
            unique = list({row[0]: (*row, self._db.replica_id) for row in rows}.values())
            values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(unique))
            # NOTE: the no-op DO UPDATE makes RETURNING give the existing row on a repeat key.
            found = await self._write1_here(
                "INSERT INTO submissions (idempotency_key, team_id, user_id, provider,"  # noqa: S608
                " channel_id, thread_ts, draft, state, next_attempt_at, created_at, updated_at,"
                f" claimed_by) VALUES {values} ON CONFLICT (idempotency_key)"
                " DO UPDATE SET updated_at = submissions.updated_at RETURNING *",
                [value for row in unique for value in row],
            )
            by_key = {row["idempotency_key"]: row for row in found}
            return [by_key[row[0]] for row in rows]

        return Coalescer(insert)

    async def submission_by_key(self, key: str) -> Submission | None:
        row = await self._row("SELECT * FROM submissions WHERE idempotency_key = ?", (key,))
        return _submission(row) if row else None

    async def submission(self, submission_id: int) -> Submission | None:
        row = await self._row("SELECT * FROM submissions WHERE id = ?", (submission_id,))
        return _submission(row) if row else None

    async def claim_submission(self, submission_id: int, draft: str) -> bool:
        """Move a pending, failed or retrying submission to filing; False if another worker has
        it (or it is filed)."""
        rows = await self._write1(
            "UPDATE submissions SET state = ?, draft = ?, attempts = attempts + 1,"
            " claimed_by = ?, updated_at = ? WHERE id = ? AND state IN (?, ?, ?) RETURNING id",
            (
                S.FILING,
                draft,
                self._db.replica_id,
                time.time(),
                submission_id,
                S.PENDING,
                S.FAILED,
                S.RETRYING,
            ),
        )
        return bool(rows)

    async def _set_state(
        self,
        submission_id: int,
        state: SubmissionState,
        reason: str,
        next_at: float | None = None,
        check_twin: bool = False,
        *,
        claimed: bool = False,
    ) -> bool:
        """Whether it was written. ``claimed``: only while this process still holds the
        filing claim (an attempt's own outcome, which a take-over must not be overwritten by:
        a write kept through a database outage can land after another replica filed it)."""
        sql = (
            "UPDATE submissions SET state = ?, last_error = ?, next_attempt_at = ?,"
            " check_twin = ?, sent = 0, updated_at = ? WHERE id = ?"
        )
        params: tuple[Any, ...] = (
            state,
            reason[:500],
            next_at,
            int(check_twin),
            time.time(),
            submission_id,
        )
        if claimed:
            sql += " AND state = ? AND claimed_by = ?"
            params += (S.FILING, self._db.replica_id)
        rows = await self._write1(sql + " RETURNING id", params)
        return bool(rows)

    async def holds_claim(self, submission_id: int) -> bool:
        """Whether this process holds the submission's filing claim, nothing sent yet (a claim
        whose answer a database outage lost)."""
        row = await self._row(
            "SELECT 1 FROM submissions WHERE id = ? AND state = ? AND claimed_by = ? AND sent = 0",
            (submission_id, S.FILING, self._db.replica_id),
        )
        return row is not None

    async def mark_sent(self, submission_id: int) -> bool:
        """Written just before the create request goes out: if the process dies before the
        answer is read, the next start knows the request may have left. False, and nothing
        written, when this process no longer holds the filing claim (a replica took it over
        while this one looked dead, as after a database outage): it must not send."""
        rows = await self._write1_here(
            "UPDATE submissions SET sent = 1 WHERE id = ? AND state = ? AND claimed_by = ?"
            " RETURNING id",
            (submission_id, S.FILING, self._db.replica_id),
        )
        return bool(rows)

    async def mark_unsure(self, submission_id: int, reason: str, *, claimed: bool = False) -> bool:
        """Sent, unanswered, and not knowable: it waits for the filer (``file_now`` or a
        number entered by hand); nothing files it again by itself."""
        return await self._set_state(
            submission_id, S.UNSURE, reason, check_twin=True, claimed=claimed
        )

    async def file_now(self, submission_id: int) -> bool:
        """The filer checked and says it was not filed: send it, without a twin check."""
        now = time.time()
        rows = await self._write1(
            "UPDATE submissions SET state = ?, check_twin = 0, next_attempt_at = ?,"
            " updated_at = ? WHERE id = ? AND state = ? RETURNING id",
            (S.RETRYING, now, now, submission_id, S.UNSURE),
        )
        return bool(rows)

    async def claim_unsure(self, submission_id: int) -> bool:
        """The filer says it was filed: take it out of the unsure state to record it."""
        rows = await self._write1(
            "UPDATE submissions SET state = ?, claimed_by = ?, updated_at = ? WHERE id = ?"
            " AND state = ? RETURNING id",
            (S.FILING, self._db.replica_id, time.time(), submission_id, S.UNSURE),
        )
        return bool(rows)

    async def fail_submission(
        self, submission_id: int, reason: str, *, claimed: bool = False
    ) -> bool:
        return await self._set_state(submission_id, S.FAILED, reason, claimed=claimed)

    async def schedule_retry(
        self, submission_id: int, *, at: float, reason: str, check_twin: bool, claimed: bool = False
    ) -> bool:
        """Park a submission for the retry worker; ``check_twin``: look before re-sending."""
        return await self._set_state(
            submission_id, S.RETRYING, reason, at, check_twin, claimed=claimed
        )

    async def give_up(self, submission_id: int, reason: str, *, claimed: bool = False) -> bool:
        return await self._set_state(submission_id, S.GAVE_UP, reason, claimed=claimed)

    async def due_submissions(self, now: float, limit: int = 20) -> list[Submission]:
        """Parked submissions due for a retry, and saved ones whose first attempt never
        started (``begin_submission``'s ``first_attempt_by`` passed), the most overdue first."""
        rows = await self._rows(
            "SELECT * FROM submissions WHERE state IN (?, ?) AND next_attempt_at <= ?"
            " ORDER BY next_attempt_at LIMIT ?",
            (S.RETRYING, S.PENDING, now, limit),
        )
        return [_submission(row) for row in rows]

    async def next_due_at(self) -> float | None:
        row = await self._row(
            "SELECT MIN(next_attempt_at) FROM submissions WHERE state IN (?, ?)",
            (S.RETRYING, S.PENDING),
        )
        return float(row[0]) if row and row[0] is not None else None

    async def resume_interrupted(self, dead_after: float, *, at_start: bool = False) -> int:
        """Submissions a stopped process left unfinished are tried again at once: at start,
        and every few seconds after (another replica may have died). A process counts as
        stopped when its heartbeat is ``dead_after`` seconds old, or at once where this one is
        the database's only user (SQLite's lock); ``at_start``, nothing of this process is
        under way yet. One whose create request may have left first looks for a twin (the
        provider may have filed it before the process died); one that never sent anything is
        simply sent."""
        now = time.time()
        working, params = alive(self._db.replica_id, self._db.sole, at_start, now - dead_after)
        # NOTE: a claim also expires after CLAIM_SECONDS, whoever holds it: a live process
        # that lost what it was doing (a database outage past its patience) leaves nothing stuck
        rows = await self._write1(
            "UPDATE submissions SET state = ?, next_attempt_at = ?, claimed_by = NULL,"  # noqa: S608
            " check_twin = CASE WHEN sent > check_twin THEN sent ELSE check_twin END, sent = 0,"
            " last_error = 'interrupted by a restart', updated_at = ?"
            f" WHERE state IN (?, ?) AND (claimed_by IS NULL OR NOT ({working})"
            " OR (state = ? AND updated_at < ?)) RETURNING id",
            (S.RETRYING, now, now, S.FILING, S.PENDING, *params, S.FILING, now - CLAIM_SECONDS),
        )
        return len(rows)

    async def count_retrying(self) -> int:
        row = await self._row("SELECT COUNT(*) FROM submissions WHERE state = ?", (S.RETRYING,))
        return int(row[0]) if row else 0


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
        sent=bool(row["sent"]),
    )


def alive(me: str, sole: bool, at_start: bool, seen_since: float) -> tuple[str, tuple[Any, ...]]:
    """The SQL (and its parameters) for "claimed by a process still at work"."""
    if sole:
        return ("1 = 0", ()) if at_start else ("claimed_by = ?", (me,))
    others = "claimed_by IN (SELECT id FROM replicas WHERE seen_at >= ? AND id <> ?)"
    if at_start:
        return others, (seen_since, me)
    return f"claimed_by = ? OR {others}", (me, seen_since, me)
