"""Upgrading: `ticketbot check` looks before an upgrade without changing the schema under the
replicas still running (`--migrate` when asked), and a release refuses a database a newer one
wrote, in one line."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg

from bot.check import check_database
from bot.store.migrations import MIGRATIONS
from tests.conftest import hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.test_operations import run_check

KNOWN = len(MIGRATIONS)


async def schema_tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await connection.close()
    return {row["tablename"] for row in rows}


async def test_check_reads_and_migrates_only_when_asked(postgres_url: str) -> None:
    looked = await check_database(postgres_url)
    assert looked.ok and looked.warn
    assert (
        f"schema version 0; `ticketbot run` (or `ticketbot check --migrate`) will apply "
        f"migrations 1–{KNOWN}" in looked.text
    )
    assert await schema_tables(postgres_url) == set()  # nothing written, not even the version

    migrated = await check_database(postgres_url, migrate=True)
    assert migrated.ok and not migrated.warn
    assert f"migrated to schema version {KNOWN}" in migrated.text
    again = await check_database(postgres_url)
    assert (again.ok, again.warn) == (True, False)
    assert f"writable, schema version {KNOWN}" in again.text

    connection = await asyncpg.connect(postgres_url)
    await connection.execute("UPDATE ticketbot_schema SET version = $1", KNOWN + 1)
    await connection.close()
    newer = await check_database(postgres_url)
    assert not newer.ok
    assert f"written by a newer ticketbot (schema {KNOWN + 1}; this one knows {KNOWN})" in (
        newer.text
    )


async def test_run_refuses_a_database_a_newer_release_wrote(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    with sqlite3.connect(tmp_path / "ticketbot.db") as db:
        db.execute(f"PRAGMA user_version = {KNOWN + 1}")
    done = await asyncio.to_thread(run_check, tmp_path, slack, hostup_table(hostup), "run")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "ticketbot: config error: TICKETBOT_DB: was written by a newer ticketbot "
        f"(schema {KNOWN + 1}; this one knows {KNOWN}); run that version, or set TICKETBOT_DB"
    ]
