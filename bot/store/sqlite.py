"""The SQLite backend: one aiosqlite connection, WAL; single-statement writes side by side, a
multi-statement transaction alone. Plus, for the one write an ack waits on, a plain connection
on the event loop's own thread (see ``write1_here``). One process per file (``exclusive``)."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar, Self

import aiosqlite

from bot.domain.errors import DatabaseUnusable
from bot.store.database import Database, Row, newer_schema
from bot.store.migrations import MIGRATIONS


class WriteGate:
    """Who may write on the shared connection: any number of single statements (each atomic
    on its own) or one transaction, whose BEGIN … COMMIT nothing else may land inside."""

    def __init__(self) -> None:
        self._changed = asyncio.Condition()
        self._statements = 0
        self._transactions = 0  # running or waiting: they go before new statements

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._transactions)
            self._statements += 1
        try:
            yield
        finally:
            async with self._changed:
                self._statements -= 1
                self._changed.notify_all()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with self._changed:
            self._transactions += 1
            try:
                await self._changed.wait_for(lambda: not self._statements)
                # NOTE: the condition's lock is held from here on, so transactions run one at
                # a time, and statements wait for the count to drop.
                yield
            finally:
                self._transactions -= 1
                self._changed.notify_all()


class SqliteDatabase(Database):
    """Opened with ``open``."""

    integrity_errors: ClassVar[tuple[type[BaseException], ...]] = (sqlite3.IntegrityError,)
    errors: ClassVar[tuple[type[BaseException], ...]] = (sqlite3.Error,)

    def __init__(self, db: aiosqlite.Connection, here: sqlite3.Connection | None = None) -> None:
        super().__init__()
        self._db = db
        self._here = here
        self._path: str | None = None
        self._lock: int | None = None
        self._writes = WriteGate()

    @classmethod
    async def connect(cls, path: Path | str, *, exclusive: bool = False) -> Self:
        """Open (creating with owner-only permissions) and migrate the database; a database
        that cannot be used is ``DatabaseUnusable``, naming the path and what to do.

        ``exclusive``: hold an advisory lock on ``<path>.lock`` for the process's life, so a
        second bot on the same file is refused (the retry worker and the restart's resume are
        not safe with two).
        """
        path = str(path)
        lock = None
        try:
            if exclusive and path != ":memory:":
                lock = await asyncio.to_thread(_lock, path)
            store = await cls._open(path)
        except (OSError, sqlite3.Error) as exc:
            if lock is not None:
                os.close(lock)
            raise DatabaseUnusable(unusable(path, exc)) from None
        store._lock = lock
        store.sole = lock is not None
        return store

    @classmethod
    async def _open(cls, path: str) -> Self:
        if path != ":memory:":
            # NOTE: links and drafts are personal data: the file is created owner-only (0600).
            await asyncio.to_thread(_create_private, path)
        db = await aiosqlite.connect(path, isolation_level=None)
        store = cls(db)
        try:
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA journal_mode=WAL")
            # NOTE: in WAL mode NORMAL skips the fsync per commit (the checkpoint syncs): a crash
            # of the process loses nothing, a power cut may lose the last commits, never corrupts.
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=5000")
            await store.migrate()
            if path != ":memory:":  # NOTE: a second connection to :memory: is another database
                store._here = _connect_here(path)
                store._path = path
        except BaseException:
            await store.close()
            raise
        return store

    async def close(self) -> None:
        if self._lock is not None:  # NOTE: the kernel lets go of it on any exit, kill -9 too
            os.close(self._lock)
            self._lock = None
        if self._here is not None:
            self._here.close()
            self._here = None
        if self._db._connection is not None:  # NOTE: closing twice raises in aiosqlite
            await self._db.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTx]:
        async with self._writes.transaction():
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTx(self._db)
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """A read, in one round trip, run to its end.

        NOTE: never a cursor held across awaits on the shared connection: its open statement
        keeps a read snapshot, and a write that runs on the connection meanwhile (another
        coroutine's) after a commit on the loop's thread fails at once with
        SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out.
        """
        return list(await self._db.execute_fetchall(sql, params))

    async def write1(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """One write statement, in one round trip to the database thread; its RETURNING rows.

        NOTE: on the hot paths every write is one statement, atomic on its own, so concurrent
        writes need not wait for each other's round trips: they queue in the database thread
        and run back to back (fifty submits at once cost one wait, not fifty in a row).
        """
        async with self._writes.statement():
            return list(await self._db.execute_fetchall(sql, params))

    async def write1_here(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """``write1`` on the event loop's thread, when the write lock is free.

        NOTE: the trip to aiosqlite's thread and back costs the loop several times what a
        one-row statement does, and more when a busy loop and that thread contend for the GIL
        (docs/benchmark.md has the figures).
        It never blocks: if another writer holds the lock, it takes the trip after all.
        """
        if self._here is not None:
            try:
                return self._here.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
        return await self.write1(sql, params)

    async def schema_version(self) -> int:
        row = await self.row("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply pending migrations; returns the resulting schema version."""
        version = await self.schema_version()
        if version > len(MIGRATIONS):
            raise DatabaseUnusable(newer_schema(version, len(MIGRATIONS)))
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            async with self._writes.transaction():  # one script and its version, atomically
                await self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{migration.sqlite}\n"
                    f"PRAGMA user_version = {int(number)};\nCOMMIT;"
                )
        return len(MIGRATIONS)

    async def healthy(self) -> bool:
        """Whether the database can be written now (waiting at most ``HEALTH_WAIT`` for a
        lock another process holds)."""
        if self._db._connection is None:  # closed
            return False
        try:
            if self._path is None:
                return await self.row("SELECT 1") is not None
            # NOTE: on a connection of its own, in a thread: the shared one may be waiting out
            # the very lock this is asked about.
            return await asyncio.to_thread(_can_write, self._path)
        except (sqlite3.Error, ValueError):
            return False


class SqliteTx:
    """``Tx`` on the shared connection, inside ``BEGIN IMMEDIATE``."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._db.execute_fetchall(sql, params))

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._db.execute(sql, params)


HEALTH_WAIT = 0.5


def _can_write(path: str) -> bool:
    """A write lock taken and given back at once, on a connection of its own."""
    db = sqlite3.connect(path, isolation_level=None, timeout=HEALTH_WAIT)
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")
    except sqlite3.OperationalError:
        return False
    finally:
        db.close()
    return True


def unusable(path: str, exc: BaseException) -> str:
    """One line: what is wrong with the database at ``path``, and what to do."""
    where = os.path.dirname(os.path.abspath(path))
    text = str(exc).lower()
    if isinstance(exc, FileNotFoundError) or not os.path.isdir(where):
        return f"{path}: the directory {where} does not exist; create it, or set TICKETBOT_DB"
    if isinstance(exc, PermissionError) or "readonly" in text or "unable to open" in text:
        return (
            f"{path}: cannot be written by this user (uid {os.getuid()}); make the file and "
            "its directory writable for it, or set TICKETBOT_DB to a path that is"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"{path}: is not a ticketbot database or is damaged; restore it from a backup, or "
            "move it away to start with an empty one"
        )
    if "locked" in text or "busy" in text:
        return f"{path}: is locked by another program; stop it, or set TICKETBOT_DB"
    return f"{path}: cannot be used ({type(exc).__name__}: {exc})"


def _lock(path: str) -> int:
    """An exclusive ``flock`` on ``<path>.lock``, holding this process's PID; the descriptor."""
    lock_path = f"{path}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise DatabaseUnusable(
            f"{path}: is in use by another ticketbot (PID {holder}); one process per SQLite "
            "file: stop that one first, or set TICKETBOT_DB"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def _connect_here(path: str) -> sqlite3.Connection:
    """A connection for the loop's thread that never waits for a lock (``write1_here``)."""
    db = sqlite3.connect(path, isolation_level=None, timeout=0)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    # NOTE: a checkpoint copies the log into the database, milliseconds the loop must not
    # spend; the aiosqlite connection's commits checkpoint, in its thread.
    db.execute("PRAGMA wal_autocheckpoint=0")
    return db


def _create_private(path: str) -> None:
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
