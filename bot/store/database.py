"""The connection: one aiosqlite connection, WAL, one write transaction at a time."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.store.migrations import MIGRATIONS


class Database:
    """Opened with ``open``; query classes build on ``_db`` and ``_transaction``."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._write = asyncio.Lock()  # one transaction at a time on the shared connection

    @classmethod
    async def open(cls, path: Path | str) -> Self:
        """Open (creating with owner-only permissions) and migrate the database."""
        path = str(path)
        if path != ":memory:":
            # NOTE: links and drafts are personal data: the file is created owner-only (0600).
            await asyncio.to_thread(_create_private, path)
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        # NOTE: in WAL mode NORMAL skips the fsync per commit (the checkpoint syncs): a crash of
        # the process loses nothing, a power cut may lose the last commits but never corrupts.
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        store = cls(db)
        await store.migrate()
        return store

    async def close(self) -> None:
        if self._db._connection is not None:  # NOTE: closing twice raises in aiosqlite
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

    async def _write1(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """One write statement, in one round trip to the database thread; its RETURNING rows.

        NOTE: on the hot paths every write is a single statement (atomic on its own), so the
        write lock is held for one round trip, not for a BEGIN … COMMIT conversation.
        """
        async with self._write:
            return list(await self._db.execute_fetchall(sql, params))

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply pending migrations; returns the resulting schema version."""
        version = await self.schema_version()
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            async with self._write:  # one script, one transaction, with its version
                await self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {int(number)};\nCOMMIT;"
                )
        return len(MIGRATIONS)

    async def healthy(self) -> bool:
        try:
            async with self._db.execute("SELECT 1") as cur:
                return await cur.fetchone() is not None
        except (aiosqlite.Error, ValueError):
            return False


def _create_private(path: str) -> None:
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
