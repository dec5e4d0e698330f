"""What the bot keeps about people: ``links forget`` forgets what is not needed to finish work
(and says what it left), and ``retention_days`` empties or drops what is older, from the
heartbeat's hourly pass; that pass (``Store.prune``) also drops what is kept for a fixed time
(events seen, modals opened, heartbeats), which no write prunes."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

from bot.domain.records import LinkRow, SubmissionState
from bot.links_cli import run_links
from bot.runtime import keep_within_retention
from bot.store import Store
from bot.store.marks import EVENTS_KEPT, MARKS_KEPT
from bot.store.modals import MODAL_DAYS
from bot.store.replicas import REPLICAS_KEPT
from bot.store.retention import FORGOTTEN
from tests.conftest import BotFactory, RunningBot, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import TEAM, FakeSlack
from tests.flows import open_form
from tests.test_durable import FILLED, given_up

DAY = 86_400.0


async def filed_and_given_up(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack, where: str
) -> RunningBot:
    """Ana's first submission gave up (its card says so); her second is filed; she is linked."""
    bot, _ = await given_up(make_bot, hostup, slack, env={"TICKETBOT_DB": where})
    hostup.failures.clear()
    view_id = await open_form(bot)
    await bot.driver.submit(view_id, FILLED)
    await slack.wait_for_text(view_id, "#10001")
    await bot.deps.store.links.import_links(
        team_id=TEAM, rows=[LinkRow("UANA", "hostup", "77")], source="import", actor="test"
    )
    return bot


async def forget(bot: RunningBot, who: str = "UANA") -> str:
    out = io.StringIO()
    assert await run_links(bot.deps, "forget", who, out) == 0
    return out.getvalue().strip()


async def test_forget_forgets_all_but_work_in_use_and_says_what_it_left(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack, store_at: str
) -> None:
    bot = await filed_and_given_up(make_bot, hostup, slack, store_at)
    store = bot.deps.store
    assert await forget(bot) == (
        "forgot UANA: 1 links, 1 audit rows, 2 drafts, 0 closed tickets' filer; left until "
        "finished: 0 submissions in flight, 1 open tickets (run forget again once they are done)"
    )
    assert await store.links.links(TEAM, "UANA") == []
    assert await store.links.link_changes(TEAM, "UANA") == []
    assert await store.submissions.submission(1) is None  # the draft given up on
    filed = await store.submissions.submission(2)
    assert filed is not None and (filed.draft, filed.user_id) == ("", FORGOTTEN)
    ticket = await store.tickets.ticket(1)
    assert ticket is not None and ticket.filed_by == "UANA"  # open: still followed for her

    await store.polls.update_polled(
        1, status="Closed", closed=True, seen_messages=(), next_poll_at=0
    )
    assert await forget(bot) == (
        "forgot UANA: 0 links, 0 audit rows, 0 drafts, 1 closed tickets' filer"
    )
    ticket = await store.tickets.ticket(1)
    assert ticket is not None and ticket.filed_by == FORGOTTEN
    assert await forget(bot) == "nothing is kept about UANA"


async def test_retention_empties_and_drops_only_what_is_older(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack, store_at: str
) -> None:
    bot = await filed_and_given_up(make_bot, hostup, slack, store_at)
    store = bot.deps.store
    await keep_within_retention(bot.deps, time.time())  # 90 days: all of it is recent
    given, filed = await store.submissions.submission(1), await store.submissions.submission(2)
    assert given is not None and given.state is SubmissionState.GAVE_UP
    assert filed is not None and "db1 unreachable" in filed.draft

    await keep_within_retention(bot.deps, time.time() + 91 * DAY)
    assert await store.submissions.submission(1) is None
    filed = await store.submissions.submission(2)
    assert filed is not None and filed.draft == "" and filed.user_id == "UANA"
    change = await store.links.latest_link_change(TEAM, "UANA")
    assert change is not None and (change.old, change.new, change.actor) == (None, None, "test")
    assert [link.requester_id for link in await store.links.links(TEAM, "UANA")] == ["77"]  # in use
    ticket = await store.tickets.ticket(1)
    assert ticket is not None and ticket.subject == "db1 unreachable"


async def outlived(store: Store) -> None:
    """One seen event, one modal, one heartbeat and one mark (a workflow step's run), each
    just past what is kept of it."""
    now = time.time()
    db = store.db
    await db.write1(
        "INSERT INTO seen_events (event_id, at) VALUES (?, ?)", ("Ev0", now - EVENTS_KEPT - 60)
    )
    await db.write1(
        "INSERT INTO modals (view_id, team_id, user_id, opened_at) VALUES (?, ?, ?, ?)",
        ("V0", TEAM, "UANA", now - MODAL_DAYS * DAY - 60),
    )
    await db.write1(
        "INSERT INTO replicas (id, seen_at) VALUES (?, ?)", ("gone", now - REPLICAS_KEPT - 60)
    )
    await db.write1(
        "INSERT INTO once_marks (mark, at) VALUES (?, ?)", ("gone", now - MARKS_KEPT - 60)
    )


async def outlived_left(store: Store) -> list[int]:
    """How many of ``outlived``'s rows are still there: events, modals, heartbeats, marks."""
    counts = []
    tables = (("seen_events", "event_id"), ("modals", "view_id"), ("replicas", "id"))
    for table, column in (*tables, ("once_marks", "mark")):
        rows = await store.db.rows(
            f"SELECT COUNT(*) FROM {table} WHERE {column} IN ('Ev0', 'V0', 'gone')"  # noqa: S608
        )
        counts.append(int(rows[0][0]))
    return counts


def pruned_by_old_writes(prefix: str) -> str:
    """A key whose ``hash`` made the old write paths prune (``% 100`` events, ``% 200``
    modals), in this process."""
    return next(key for n in range(100_000) if hash(key := f"{prefix}{n}") % 200 == 0)


async def test_writes_prune_nothing_and_the_prune_pass_drops_what_outlived_its_time(
    store_at: str,
) -> None:
    """No write prunes (an event and a modal whose keys the old ``hash() % N`` write paths
    pruned on, a heartbeat); the one pass, ``Store.prune``, drops each record kept past its
    time and keeps what is within it."""
    store = await Store.open(store_at)
    try:
        await outlived(store)
        assert await store.marks.remember_event(pruned_by_old_writes("Ev"))
        await store.modals.remember_modal(pruned_by_old_writes("V"), team_id=TEAM, user_id="U")
        await store.replicas.heartbeat()
        assert await store.marks.once("a workflow step's run")
        assert await outlived_left(store) == [1, 1, 1, 1]  # no write pruned

        pruned = await store.prune(time.time() - 90 * DAY)
        assert (pruned.events, pruned.modals, pruned.replicas, pruned.marks) == (1, 1, 1, 1)
        assert await outlived_left(store) == [0, 0, 0, 0]
        assert not await store.marks.once("a workflow step's run")  # still kept
        # what is within its time stays
        assert not await store.marks.remember_event(pruned_by_old_writes("Ev"))
        assert await store.modals.modal_opener(pruned_by_old_writes("V")) == "U"
        assert await store.replicas.replica_counts(dead_after=60) == (1, 0)
    finally:
        await store.close()


async def test_the_heartbeat_enforces_retention(
    make_bot: BotFactory, hostup: FakeHostUp, tmp_path: Path
) -> None:
    """Wired: a running bot's heartbeat prunes what its clock says is past retention, and what
    outlived its fixed time (events, modals, heartbeats)."""
    store = await Store.open(tmp_path / "ticketbot.db")
    try:
        old, _ = await store.submissions.begin_submission(
            key="old", team_id=TEAM, user_id="UANA", provider="hostup", channel_id=None,
            thread_ts=None, draft="{}", first_attempt_by=1e12,
        )  # fmt: skip
        await store.submissions.give_up(old.id, "the window ran out")
        await outlived(store)
    finally:
        await store.close()
    bot = await make_bot(
        hostup_table(hostup),
        options='admins = ["UANA"]\nreplica_timeout_seconds = 1',
        clock=lambda: time.time() + 91 * DAY,
    )

    async def pruned() -> bool:
        store = bot.deps.store
        gone = await store.submissions.submission(old.id) is None
        return gone and await outlived_left(store) == [0, 0, 0, 0]

    deadline = time.monotonic() + 10
    while not await pruned():
        assert time.monotonic() < deadline, "the heartbeat never pruned"
        await asyncio.sleep(0.02)
