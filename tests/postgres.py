"""A PostgreSQL server for the tests, when there is one: each test gets a database of its own.

``TICKETBOT_TEST_DATABASE_URL`` names a server and a database to connect to for creating
others (default: ``postgresql://127.0.0.1:5432/postgres``). Without a server the PostgreSQL
tests are skipped, and the run says so in one line; with ``TICKETBOT_REQUIRE_POSTGRES=1`` (CI)
they fail instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import asyncpg
import pytest

ADMIN_URL = os.environ.get("TICKETBOT_TEST_DATABASE_URL") or "postgresql://127.0.0.1:5432/postgres"
REQUIRED = os.environ.get("TICKETBOT_REQUIRE_POSTGRES") == "1"
SKIPPED: list[str] = []  # why, once: the terminal summary prints it


def where() -> str:
    parts = urlsplit(ADMIN_URL)
    return f"{parts.hostname}:{parts.port or 5432}"


async def _reachable() -> str | None:
    try:
        connection = await asyncpg.connect(ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await connection.close()
    return None


_PROBED: list[str | None] = []  # the session's one probe (conftest), None: a server answers


def require_server() -> None:
    """Skip (or, where required, fail) the calling test when no server answers."""
    problem = _PROBED[0] if _PROBED else "not probed"
    if problem is None:
        return
    if REQUIRED:
        pytest.fail(f"TICKETBOT_REQUIRE_POSTGRES=1 but no PostgreSQL at {where()}: {problem}")
    if not SKIPPED:
        SKIPPED.append(problem)
    pytest.skip(f"no PostgreSQL at {where()}")


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A new, empty database on the server; dropped afterwards. Its URL."""
    name = f"ticketbot_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = urlsplit(ADMIN_URL)._replace(path=f"/{name}").geturl()
    try:
        yield url
    finally:
        admin = await asyncpg.connect(ADMIN_URL, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
