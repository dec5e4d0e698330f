"""What every store backend offers the repositories: one-trip reads and writes, a
transaction, migrations and a health check; ``bot.store.sqlite`` and ``bot.store.postgres``
implement it. ``Repository``: what each aggregate's queries build on.

The queries are written once, in the SQL both engines speak, with ``?`` placeholders.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, ClassVar, Protocol

from bot.domain.errors import StoreUnavailable
from bot.store.outage import Outage

Row = Any  # a row that reads by column name and by position (sqlite3.Row, asyncpg.Record)


class Tx(Protocol):
    """A transaction's connection."""

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...


class Database(ABC):
    """The backend seam; the repositories build on ``rows``, ``row``, ``write1``,
    ``write1_here`` and ``transaction``."""

    # NOTE: what a backend raises when a write breaks a UNIQUE constraint, and when the
    # database cannot be used at all (locked, gone): callers catch these, not an engine's.
    integrity_errors: ClassVar[tuple[type[BaseException], ...]] = ()
    errors: ClassVar[tuple[type[BaseException], ...]] = ()
    # appended to a claim's inner SELECT where rows can be claimed by several processes
    skip_locked: ClassVar[str] = ""
    max_params: ClassVar[int] = 32_766

    def __init__(self) -> None:
        # NOTE: this process, in the ``replicas`` table: what it claims is taken over by the
        # others when its heartbeat stops (see ``bot.store.replicas``).
        self.replica_id = secrets.token_hex(8)
        self.sole = False  # no other process can be using this database (SQLite's lock)
        # NOTE: told once per outage (``bot.store.outage``); backends that can lose their
        # server (PostgreSQL) watch their statements with it
        self.outage = Outage((), type(self).__name__)

    def unavailable(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the database is away (or busy), not that a query is wrong."""
        return isinstance(exc, (*self.errors, StoreUnavailable, TimeoutError))

    @abstractmethod
    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """A read, in one round trip, run to its end."""

    async def row(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a one-trip read (``rows``), or None."""
        return next(iter(await self.rows(sql, params)), None)

    @abstractmethod
    async def write1(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """One write statement, atomic on its own; its RETURNING rows."""

    async def write1_here(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """``write1`` for the writes an ack waits on (SQLite runs them on the loop's thread)."""
        return await self.write1(sql, params)

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Tx]: ...

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def migrate(self) -> int:
        """Apply pending migrations; returns the resulting schema version."""

    @abstractmethod
    async def healthy(self) -> bool:
        """Whether the database can be written now."""

    @abstractmethod
    async def close(self) -> None: ...


class Repository:
    """One aggregate's queries over the shared backend (``bot.store.store.Store`` builds one of
    each per database): the backend's calls under their own names, and what says the database
    is away."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._rows = db.rows
        self._row = db.row
        self._write1 = db.write1
        self._write1_here = db.write1_here
        self._transaction = db.transaction
        self.errors = db.errors  # what this repository's calls raise when the database is away

    def unavailable(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the database is away (or busy), not that a query is wrong."""
        return self._db.unavailable(exc)


def newer_schema(version: int, known: int) -> str:
    return (
        f"was written by a newer ticketbot (schema {version}; this one knows {known}); run "
        "that version, or set TICKETBOT_DB"
    )
