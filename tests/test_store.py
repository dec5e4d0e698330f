"""The store: migrations from an empty file, owner-only permissions, idempotent submissions."""

from __future__ import annotations

import stat
from pathlib import Path

from bot.providers.base import Filer, TicketRef
from bot.store import Store, SubmissionState
from bot.store.migrations import MIGRATIONS
from bot.tickets.drafts import Draft
from bot.views.metadata import ModalContext


async def test_migrates_an_empty_file_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert await store.migrate() == len(MIGRATIONS)  # a second run changes nothing
    finally:
        await store.close()


async def test_reopening_keeps_rows(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "t.db")
    await store.set_requester_link(
        team_id="T",
        user_id="U",
        provider="p",
        requester_id="42",
        source="admin",
        created_by="UADMIN",
    )
    await store.close()
    store = await Store.open(tmp_path / "t.db")
    try:
        assert await store.requester_link("T", "U", "p") == "42"
    finally:
        await store.close()


async def test_a_submission_key_is_stored_once_and_claimed_once(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "t.db")
    draft = Draft(
        provider="p",
        values={"subject": "s"},
        context=ModalContext(),
        filer=Filer(team_id="T", user_id="U", name="u"),
    ).model_dump_json()
    try:
        first, created = await store.begin_submission(
            key="V1",
            team_id="T",
            user_id="U",
            provider="p",
            channel_id="C",
            thread_ts=None,
            draft=draft,
        )
        again, created_again = await store.begin_submission(
            key="V1",
            team_id="T",
            user_id="U",
            provider="p",
            channel_id="C",
            thread_ts=None,
            draft=draft,
        )
        assert created and not created_again and first.id == again.id
        assert await store.claim_submission(first.id, draft)
        assert not await store.claim_submission(first.id, draft)  # already filing
        record = await store.record_ticket(
            submission=first,
            ref=TicketRef(provider="p", id="x1", number="7"),
            subject="s",
            priority=None,
        )
        done = await store.submission_by_key("V1")
        assert done is not None and done.state is SubmissionState.FILED
        assert done.ticket_id == record.id and record.number == "7"
    finally:
        await store.close()


async def test_upgrading_a_version_1_file_keeps_its_rows(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO requester_links VALUES ('T', 'U', 'p', '42', 'admin', 'A', 1.0)")
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(MIGRATIONS) > 1
        assert await store.requester_link("T", "U", "p") == "42"
        await store.set_requester_link(
            team_id="T",
            user_id="U",
            provider="p",
            requester_id="43",
            source="admin",
            created_by="A",
        )
        change = await store.latest_link_change("T", "U")
        assert change is not None and (change.old, change.new) == ("42", "43")
    finally:
        await store.close()
