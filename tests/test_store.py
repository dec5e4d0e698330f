"""The store: migrations from an empty file, owner-only permissions, idempotent submissions."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from bot.domain.drafts import Draft, ModalContext
from bot.domain.records import Submission, SubmissionState
from bot.domain.tickets import Filer, TicketRef
from bot.store import Store
from bot.store.coalesce import Coalescer
from bot.store.migrations import MIGRATIONS
from bot.store.sqlite import SqliteDatabase, WriteGate


async def begin(store: Store, key: str, draft: str = "{}") -> tuple[Submission, bool]:
    return await store.submissions.begin_submission(
        key=key,
        team_id="T",
        user_id="U",
        provider="p",
        channel_id="C",
        thread_ts=None,
        draft=draft,
        first_attempt_by=time.time() + 60,
    )


async def test_migrates_an_empty_file_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert await store.db.migrate() == len(MIGRATIONS)  # a second run changes nothing
    finally:
        await store.close()


async def test_reopening_keeps_rows(store_at: str) -> None:
    store = await Store.open(store_at)
    await store.links.set_requester_link(
        team_id="T",
        user_id="U",
        provider="p",
        requester_id="42",
        source="admin",
        created_by="UADMIN",
    )
    await store.close()
    store = await Store.open(store_at)
    try:
        assert await store.links.requester_link("T", "U", "p") == "42"
    finally:
        await store.close()


async def test_a_submission_key_is_stored_once_and_claimed_once(store_at: str) -> None:
    store = await Store.open(store_at)
    draft = Draft(
        provider="p",
        values={"subject": "s"},
        context=ModalContext(),
        filer=Filer(team_id="T", user_id="U", name="u"),
    ).model_dump_json()
    try:
        first, created = await begin(store, "V1", draft)
        again, created_again = await begin(store, "V1", draft)
        assert created and not created_again and first.id == again.id
        assert await store.submissions.claim_submission(first.id, draft)
        assert not await store.submissions.claim_submission(first.id, draft)  # already filing
        record = await store.tickets.record_ticket(
            submission=first,
            ref=TicketRef(provider="p", id="x1", number="7"),
            subject="s",
            priority=None,
        )
        done = await store.submissions.submission_by_key("V1")
        assert done is not None and done.state is SubmissionState.FILED
        assert done.ticket_id == record.id and record.number == "7"
    finally:
        await store.close()


async def test_upgrading_a_version_1_file_keeps_its_rows(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0].sqlite)
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO requester_links VALUES ('T', 'U', 'p', '42', 'admin', 'A', 1.0)")
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(MIGRATIONS) > 1
        assert await store.links.requester_link("T", "U", "p") == "42"
        await store.links.set_requester_link(
            team_id="T",
            user_id="U",
            provider="p",
            requester_id="43",
            source="admin",
            created_by="A",
        )
        change = await store.links.latest_link_change("T", "U")
        assert change is not None and (change.old, change.new) == ("42", "43")
    finally:
        await store.close()


async def test_submits_that_arrive_together_each_get_their_row(store_at: str) -> None:
    store = await Store.open(store_at)

    async def submit(key: str) -> tuple[int, bool]:
        submission, created = await begin(store, key)
        return submission.id, created

    try:
        keys = [f"V{n}" for n in range(40)] + ["V7", "V7"]  # a double click among them
        results = await asyncio.gather(*(submit(k) for k in keys))
        ids = dict(zip(keys, results, strict=True))
        assert len({i for i, _ in results}) == 40  # one row per key
        assert [r for k, r in zip(keys, results, strict=True) if k == "V7"].count(
            (ids["V7"][0], True)
        ) == 1  # and only one of the three V7 submits created it
    finally:
        await store.close()


async def test_calls_that_arrive_during_a_trip_share_the_next() -> None:
    calls: list[list[int]] = []

    async def run(items: list[int]) -> list[int]:
        calls.append(items)
        await asyncio.sleep(0.01)  # the trip to the database thread
        return [i * 10 for i in items]

    coalesce = Coalescer(run)
    assert await asyncio.gather(*(coalesce(i) for i in range(50))) == [i * 10 for i in range(50)]
    assert len(calls) <= 2 and sorted(i for c in calls for i in c) == list(range(50))


async def test_a_failed_batch_fails_its_callers_and_the_next_batch_goes_on() -> None:
    calls: list[list[int]] = []
    under_way, back = asyncio.Event(), asyncio.Event()

    async def run(items: list[int]) -> list[int]:
        calls.append(items)
        under_way.set()
        await back.wait()  # the trip to the database thread
        if 0 in items:
            raise ValueError("bad batch")
        return [i * 10 for i in items]

    coalesce = Coalescer(run)
    first = asyncio.ensure_future(coalesce(0))
    await under_way.wait()
    rest = [asyncio.ensure_future(coalesce(i)) for i in (1, 2)]  # they wait for the next trip
    back.set()
    with pytest.raises(ValueError, match="bad batch"):
        await first
    assert await asyncio.gather(*rest) == [10, 20]
    assert calls == [[0], [1, 2]]


async def test_a_transaction_runs_alone_while_single_statements_run_side_by_side() -> None:
    gate, log = WriteGate(), []

    async def statement(n: int) -> None:
        async with gate.statement():
            log.append(f"s{n}+")
            await asyncio.sleep(0.01)
            log.append(f"s{n}-")

    async def transaction() -> None:
        async with gate.transaction():
            log.append("t+")
            await asyncio.sleep(0.01)
            log.append("t-")

    first = [asyncio.ensure_future(statement(n)) for n in (1, 2)]
    await asyncio.sleep(0)
    await asyncio.gather(transaction(), statement(3), *first)
    assert log[:2] == ["s1+", "s2+"]  # side by side
    t = log.index("t+")
    assert log[t + 1] == "t-"  # nothing landed inside the transaction
    assert t > log.index("s2-") and log.index("s3+") > t  # it waited, and went first


SLOW_READ = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)"
    " SELECT count(*) FROM n"
)


async def test_a_submit_is_written_on_the_loop_while_the_database_thread_is_busy(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "t.db")
    assert isinstance(store.db, SqliteDatabase)
    try:
        slow = asyncio.ensure_future(store.db._db.execute_fetchall(SLOW_READ))
        await asyncio.sleep(0.01)
        _, new = await begin(store, "k1")
        assert new and not slow.done()  # it did not queue behind the thread's work
        await slow
    finally:
        await store.close()


async def test_a_submit_waits_its_turn_when_another_writer_holds_the_lock(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "t.db")
    other = sqlite3.connect(tmp_path / "t.db", isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, other.execute, "COMMIT")
        submission, new = await asyncio.wait_for(begin(store, "k1"), 3.0)
        assert new and (await store.submissions.submission_by_key("k1")) == submission
    finally:
        other.close()
        await store.close()


async def test_reads_racing_loop_thread_submits_never_leave_a_claim_locked_out(
    store_at: str,
) -> None:
    """A read must not hold a snapshot open across awaits: an UPDATE that runs inside it on the
    shared connection, after a submit committed on the loop's thread, fails at once with
    SQLITE_BUSY_SNAPSHOT (no busy wait helps), and the ticket's first attempt died with it."""
    store = await Store.open(store_at)
    try:
        await store.links.set_requester_link(
            team_id="T", user_id="U", provider="p", requester_id="1", source="a", created_by="A"
        )

        async def worker(w: int) -> None:  # submits keep landing while others read
            for n in range(20):
                submission, _ = await begin(store, f"k{w}.{n}")
                await store.links.requester_link("T", "U", "p")
                await store.tickets.tickets_by_number("T", str(n))
                assert await store.submissions.claim_submission(submission.id, "{}")

        await asyncio.gather(*(worker(w) for w in range(50)))
    finally:
        await store.close()
