"""A provider table removed (or renamed) while the database still has work for it: said at
start in one line, its open tickets and unfinished submissions held (not closed, not failed)
until the table is back."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from bot.domain.records import SubmissionState
from bot.domain.tickets import TicketRef
from bot.store import Store
from tests.conftest import BotFactory, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import TEAM


async def work_for(where: Path, provider: str) -> None:
    """An open ticket and an unfinished submission of ``provider``, left by an earlier run."""
    store = await Store.open(where)
    try:
        common = {"team_id": TEAM, "user_id": "UANA", "provider": provider}
        filed, _ = await store.submissions.begin_submission(
            key="filed",
            channel_id="C0GENERAL",
            thread_ts=None,
            draft="{}",
            first_attempt_by=1e12,
            **common,
        )
        ticket = await store.tickets.record_ticket(
            submission=filed,
            ref=TicketRef(provider=provider, id="9", number="9", status="open"),
            subject="disk full",
            priority=None,
        )
        await store.cards.set_card(
            ticket.id, channel_id="C0GENERAL", card_ts="1.1", thread_ts="1.1"
        )
        await store.submissions.begin_submission(
            key="queued",
            channel_id="C0GENERAL",
            thread_ts=None,
            draft="{}",
            first_attempt_by=0,
            **common,
        )
    finally:
        await store.close()


async def test_a_removed_providers_work_is_said_at_start_and_held(
    make_bot: BotFactory, hostup: FakeHostUp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await work_for(tmp_path / "ticketbot.db", "oldhost")
    caplog.set_level(logging.WARNING, logger="bot.runtime")
    bot = await make_bot(hostup_table(hostup))
    said = [r.getMessage() for r in caplog.records if "no longer in the config" in r.getMessage()]
    assert said == [
        "providers no longer in the config: oldhost (1 open tickets, 1 unfinished submissions); "
        "held, not followed or filed, until the table is back (or renamed in the database: "
        "docs/operations.md, Removing a provider)"
    ]
    store = bot.deps.store
    deadline = time.monotonic() + 10
    held = "provider oldhost is not in the config"
    while (
        queued := await store.submissions.submission(2)
    ) is not None and queued.last_error != held:
        assert time.monotonic() < deadline, "the worker never looked at the held submission"
        await asyncio.sleep(0.02)
    assert queued is not None and queued.state is SubmissionState.RETRYING
    assert queued.next_attempt_at is not None and queued.next_attempt_at > time.time() + 30
    while (await store.polls.oldest_poll_due() or 0) < time.time():
        assert time.monotonic() < deadline, "the poller never looked at the held ticket"
        await asyncio.sleep(0.02)
    ticket = await store.tickets.ticket(1)
    assert ticket is not None and not ticket.closed  # followed again once the table is back
    assert await store.orphans.unconfigured(["hostup", "oldhost"]) == {}
