"""The PostgreSQL backend: an asyncpg pool shared by every replica's process.

asyncpg, not psycopg 3: it is asyncio-native with its own pool, speaks the binary protocol and
prepares each statement once per connection (the queries here are a fixed set), and needs no
C library on the machine. The queries keep ``?`` placeholders; they become ``$1, $2, …`` here.
Migrations run under a PostgreSQL advisory lock, so replicas starting together migrate once.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

import asyncpg

from bot.domain.errors import DatabaseUnusable
from bot.store.database import Database, Row, newer_schema
from bot.store.migrations import MIGRATIONS
from bot.store.outage import Outage, quiet_pool_retries

MIGRATION_LOCK = 0x7469636B  # "tick": the advisory lock key replicas migrate under
CONNECT_SECONDS = 10.0
POOL_SIZE = 10
HEALTH_WAIT = 2.0
_PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=512)
def dollar(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's numbered ones (the queries have no ``?`` in text)."""
    count = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(count)}", sql)


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":[redacted]@")
    return parts._replace(netloc=netloc).geturl()


# NOTE: a statement that has not answered in this long is an outage (a cut connection may
# hang rather than fail); the longest we run (a claim, a burst's insert) takes milliseconds.
STATEMENT_SECONDS = 10.0
# what says the server is away (not that it refused a statement)
AWAY: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
)


class PostgresDatabase(Database):
    """Opened with ``open``; every replica of the bot may share it."""

    integrity_errors: ClassVar[tuple[type[BaseException], ...]] = (asyncpg.UniqueViolationError,)
    errors: ClassVar[tuple[type[BaseException], ...]] = (
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        OSError,
    )
    skip_locked: ClassVar[str] = " FOR UPDATE SKIP LOCKED"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        super().__init__()
        self._pool = pool
        self._url = url
        self.outage = Outage(AWAY, safe_url(url))
        quiet_pool_retries(logging.getLogger("asyncpg.pool"))

    @classmethod
    async def connect(cls, url: str) -> Self:
        """Connect and migrate; a database that cannot be used is ``DatabaseUnusable``, naming
        it (without its password) and what to do. Replicas share it by design."""
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                timeout=CONNECT_SECONDS,
                command_timeout=60,
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            raise DatabaseUnusable(unusable(url, exc)) from None
        store = cls(pool, url)
        try:
            await store.migrate()
        except BaseException:
            await store.close()
            raise
        return store

    async def close(self) -> None:
        await self._pool.close()

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.outage.watch():
            return list(await self._pool.fetch(dollar(sql), *params, timeout=STATEMENT_SECONDS))

    async def write1(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.outage.watch():
            return list(await self._pool.fetch(dollar(sql), *params, timeout=STATEMENT_SECONDS))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTx]:
        with self.outage.watch():
            async with self._pool.acquire() as connection, connection.transaction():
                yield PostgresTx(connection)

    async def schema_version(self) -> int:
        async with self._pool.acquire() as connection:
            return await _version(connection)

    async def migrate(self) -> int:
        try:
            async with self._pool.acquire() as connection:
                await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
                try:
                    await connection.execute(
                        "CREATE TABLE IF NOT EXISTS ticketbot_schema (version INTEGER NOT NULL)"
                    )
                    version = await _version(connection)
                    if version > len(MIGRATIONS):
                        raise DatabaseUnusable(newer_schema(version, len(MIGRATIONS)))
                    for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                        async with connection.transaction():  # a script and its version
                            await connection.execute(migration.postgres)
                            await connection.execute("DELETE FROM ticketbot_schema")
                            await connection.execute(
                                "INSERT INTO ticketbot_schema (version) VALUES ($1)", number
                            )
                finally:
                    await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise DatabaseUnusable(unusable(self._url, exc)) from None
        return len(MIGRATIONS)

    async def healthy(self) -> bool:
        try:
            async with asyncio.timeout(HEALTH_WAIT):
                return bool(await self._pool.fetchval("SELECT 1"))
        except (TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            return False


class PostgresTx:
    """``Tx`` on one pooled connection, inside a transaction."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._connection.fetch(dollar(sql), *params))

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._connection.execute(dollar(sql), *params)


# Whether this user may write the bot's tables (or create them, on an empty database), asked of
# the catalogue: nothing is written to find out.
MAY_WRITE = """
SELECT NOT pg_is_in_recovery() AND CASE
    WHEN to_regclass('submissions') IS NULL THEN has_schema_privilege('public', 'CREATE')
    ELSE has_table_privilege('submissions', 'INSERT, UPDATE, DELETE')
END
"""


async def look(url: str) -> tuple[int, bool]:
    """The schema version and whether this user may write, read without writing anything (no
    migration, no advisory lock): what ``ticketbot check`` reports before an upgrade."""
    try:
        connection = await asyncpg.connect(url, timeout=CONNECT_SECONDS)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
        raise DatabaseUnusable(unusable(url, exc)) from None
    try:
        return await _version(connection), bool(await connection.fetchval(MAY_WRITE))
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise DatabaseUnusable(unusable(url, exc)) from None
    finally:
        await connection.close()


async def _version(connection: asyncpg.Connection) -> int:
    exists = await connection.fetchval("SELECT to_regclass('ticketbot_schema') IS NOT NULL")
    if not exists:
        return 0
    return int(await connection.fetchval("SELECT COALESCE(MAX(version), 0) FROM ticketbot_schema"))


def unusable(url: str, exc: BaseException) -> str:
    """One line: what is wrong with the database at ``url``, and what to do."""
    where = safe_url(url)
    text = str(exc)
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"{where}: the database does not exist; create it (createdb), or fix TICKETBOT_DB"
    if isinstance(
        exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    ):
        return f"{where}: the server refused the user or password; fix TICKETBOT_DB"
    if isinstance(exc, OSError | TimeoutError):
        return (
            f"{where}: no PostgreSQL server answers there ({type(exc).__name__}); start it, "
            "or fix the host and port in TICKETBOT_DB"
        )
    return f"{where}: cannot be used ({type(exc).__name__}: {text[:200]})"
