"""The SQLite store: one aiosqlite connection, WAL, parameterised queries only."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.providers.base import TicketRef
from bot.store.migrations import MIGRATIONS
from bot.store.records import (
    Link,
    LinkChange,
    LinkRow,
    Submission,
    SubmissionState,
    TicketRecord,
)


class Store:
    """Links, submissions and tickets. Create with ``Store.open``; close with ``close``."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._write = asyncio.Lock()  # one transaction at a time on the shared connection

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        """Open (creating with owner-only permissions) and migrate the database."""
        path = str(path)
        if path != ":memory:":
            # NOTE: links and drafts are personal data: the file is created owner-only (0600).
            await asyncio.to_thread(_create_private, path)
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        store = cls(db)
        await store.migrate()
        return store

    async def close(self) -> None:
        await self._db.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply pending migrations; returns the resulting schema version."""
        version = await self.schema_version()
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            async with self._transaction() as db:
                for statement in filter(str.strip, script.split(";")):
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {int(number)}")
        return len(MIGRATIONS)

    async def healthy(self) -> bool:
        try:
            async with self._db.execute("SELECT 1") as cur:
                return await cur.fetchone() is not None
        except (aiosqlite.Error, ValueError):
            return False

    # --- submissions -------------------------------------------------------------------------

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
                " updated_at = ? WHERE id = ? AND state IN (?, ?)",
                (
                    SubmissionState.FILING,
                    draft,
                    time.time(),
                    submission_id,
                    SubmissionState.PENDING,
                    SubmissionState.FAILED,
                ),
            )
            return cur.rowcount == 1

    async def fail_submission(self, submission_id: int, reason: str) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE submissions SET state = ?, last_error = ?, updated_at = ? WHERE id = ?",
                (SubmissionState.FAILED, reason[:500], time.time(), submission_id),
            )

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

    # --- tickets -----------------------------------------------------------------------------

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

    # --- requester links ---------------------------------------------------------------------

    async def requester_link(self, team_id: str, user_id: str, provider: str) -> str | None:
        async with self._db.execute(
            "SELECT requester_id FROM requester_links"
            " WHERE team_id = ? AND slack_user_id = ? AND provider = ?",
            (team_id, user_id, provider),
        ) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def set_requester_link(
        self,
        *,
        team_id: str,
        user_id: str,
        provider: str,
        requester_id: str,
        source: str,
        created_by: str,
    ) -> str | None:
        """Create or replace a link, auditing the change; returns the id it replaced."""
        async with self._transaction() as db:
            return await self._set_link(
                db, team_id, LinkRow(user_id, provider, requester_id), source, created_by
            )

    async def import_links(
        self, *, team_id: str, rows: list[LinkRow], source: str, actor: str
    ) -> int:
        """Write all ``rows`` in one transaction (all or nothing); returns how many changed."""
        changed = 0
        async with self._transaction() as db:
            for row in rows:
                old = await self._set_link(db, team_id, row, source, actor)
                changed += old != row.requester_id
        return changed

    async def _set_link(
        self, db: aiosqlite.Connection, team_id: str, row: LinkRow, source: str, actor: str
    ) -> str | None:
        async with db.execute(
            "SELECT requester_id FROM requester_links"
            " WHERE team_id = ? AND slack_user_id = ? AND provider = ?",
            (team_id, row.user_id, row.provider),
        ) as cur:
            found = await cur.fetchone()
        old = str(found[0]) if found else None
        if old == row.requester_id:
            return old
        now = time.time()
        await db.execute(
            "INSERT INTO requester_links (team_id, slack_user_id, provider, requester_id,"
            " source, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (team_id, slack_user_id, provider) DO UPDATE SET"
            " requester_id = excluded.requester_id, source = excluded.source,"
            " created_by = excluded.created_by, created_at = excluded.created_at",
            (team_id, row.user_id, row.provider, row.requester_id, source, actor, now),
        )
        await self._audit(
            db, team_id, row.user_id, row.provider, old, row.requester_id, source, actor, now
        )
        return old

    async def delete_links(
        self, *, team_id: str, user_id: str, provider: str | None, actor: str
    ) -> int:
        """Remove one provider's link, or (provider None) all of a user's links; audited."""
        now = time.time()
        async with self._transaction() as db:
            query = (
                "SELECT provider, requester_id FROM requester_links"
                " WHERE team_id = ? AND slack_user_id = ?"
            )
            args: tuple[str, ...] = (team_id, user_id)
            if provider is not None:
                query += " AND provider = ?"
                args += (provider,)
            async with db.execute(query, args) as cur:
                rows = list(await cur.fetchall())
            for name, old in rows:
                await db.execute(
                    "DELETE FROM requester_links"
                    " WHERE team_id = ? AND slack_user_id = ? AND provider = ?",
                    (team_id, user_id, name),
                )
                await self._audit(db, team_id, user_id, name, old, None, "unlink", actor, now)
        return len(rows)

    @staticmethod
    async def _audit(
        db: aiosqlite.Connection,
        team_id: str,
        user_id: str,
        provider: str,
        old: str | None,
        new: str | None,
        source: str,
        actor: str,
        at: float,
    ) -> None:
        await db.execute(
            "INSERT INTO link_audit (team_id, slack_user_id, provider, old_requester,"
            " new_requester, source, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (team_id, user_id, provider, old, new, source, actor, at),
        )

    async def links(self, team_id: str | None, user_id: str | None = None) -> list[Link]:
        """Every link (of one workspace, of one user), ordered by user and provider."""
        query, args = "SELECT * FROM requester_links WHERE 1 = 1", []
        if team_id is not None:
            query += " AND team_id = ?"
            args.append(team_id)
        if user_id is not None:
            query += " AND slack_user_id = ?"
            args.append(user_id)
        async with self._db.execute(query + " ORDER BY slack_user_id, provider", args) as cur:
            rows = await cur.fetchall()
        return [
            Link(
                team_id=r["team_id"],
                user_id=r["slack_user_id"],
                provider=r["provider"],
                requester_id=r["requester_id"],
                source=r["source"],
                created_by=r["created_by"],
                created_at=r["created_at"],
            )
            for r in rows
        ]

    async def latest_link_change(
        self, team_id: str, user_id: str | None = None
    ) -> LinkChange | None:
        query, args = "SELECT * FROM link_audit WHERE team_id = ?", [team_id]
        if user_id is not None:
            query += " AND slack_user_id = ?"
            args.append(user_id)
        async with self._db.execute(query + " ORDER BY at DESC, id DESC LIMIT 1", args) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return LinkChange(
            user_id=row["slack_user_id"],
            provider=row["provider"],
            old=row["old_requester"],
            new=row["new_requester"],
            source=row["source"],
            actor=row["actor"],
            at=row["at"],
        )


def _create_private(path: str) -> None:
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


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
    )
