"""Never lose, never twice, round two: ambiguous answers, failed look-ups, Slack and database
faults, over loopback (the process-level cases are in test_delivery_processes.py)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.records import SubmissionState
from tests.conftest import BotFactory, RunningBot, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.server import FakeServer
from tests.fakes.slack_api import TEAM, FakeSlack
from tests.flows import modal_text, open_form
from tests.provider_cases import BY_KIND, provider_table

FILLED = {"department": "vps", "subject": "db1 unreachable", "description": "Ping fails."}
VPSBG_FILLED = {"department": "Tech support", "subject": "Hello", "description": "World!"}


def creates(fake: FakeHostUp) -> int:
    return len(
        [r for r in fake.requests if r.method == "POST" and r.path == "/api/v2/support/tickets"]
    )


def channel_texts(slack: FakeSlack, channel: str = "C0GENERAL") -> list[str]:
    return [str(m["text"]) for m in slack.channels[channel].messages]


async def card_saying(slack: FakeSlack, contains: str) -> dict[str, Any]:
    def card() -> dict[str, Any] | None:
        top = [m for m in slack.channels["C0GENERAL"].messages if not m.get("thread_ts")]
        return next((m for m in top if contains in str(m["text"])), None)

    found: dict[str, Any] = await slack.until(card, f"a card saying {contains!r}", within=10)
    return found


async def state_of(bot: RunningBot, submission_id: int = 1) -> SubmissionState:
    submission = await bot.deps.store.submissions.submission(submission_id)
    assert submission is not None
    return submission.state


@pytest.fixture
async def vpsbg() -> AsyncIterator[FakeServer]:
    fake = BY_KIND["vpsbg"].fake()
    await fake.start()
    yield fake
    await fake.stop()


async def vpsbg_bot(make_bot: BotFactory, fake: FakeServer) -> RunningBot:
    case = BY_KIND["vpsbg"]
    return await make_bot(
        provider_table(case, fake.url, extra="timeout_seconds = 0.5\n"), env=case.env
    )


def vpsbg_tickets(fake: FakeServer) -> int:
    return len(fake.tickets)  # type: ignore[attr-defined]


async def click(
    bot: RunningBot, slack: FakeSlack, button: dict[str, Any], user: str = "UANA"
) -> None:
    await bot.driver.interact(
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user, "username": user.lower()},
            "trigger_id": slack.trigger(),
            "container": {"type": "message", "channel_id": "C0GENERAL"},
            "channel": {"id": "C0GENERAL"},
            "actions": [{**button, "block_id": "unsure", "action_ts": "1"}],
        }
    )


def buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    row = next(b for b in card["blocks"] if b["type"] == "actions")
    return {e["action_id"]: e for e in row["elements"]}


# --- 7 (and 1): unsure, where nothing can tell ----------------------------------------------------


async def test_an_unanswered_create_without_a_list_is_unsure_and_a_resubmit_files_nothing(
    make_bot: BotFactory, vpsbg: FakeServer, slack: FakeSlack
) -> None:
    """Finding 7: after an ambiguous timeout VPSBG said "submit again when ready", and the same
    modal submitted again filed a second ticket."""
    bot = await vpsbg_bot(make_bot, vpsbg)
    view_id = await open_form(bot)
    form = dict(slack.view(view_id))
    vpsbg.fail(delay_after=1.0, path_contains="/support/tickets")  # filed; the answer too late
    await bot.driver.submit(view_id, VPSBG_FILLED)
    shown = await slack.wait_for_text(view_id, "Unsure whether VPSBG filed this ticket")
    assert "ticketbot ref S1" in shown
    card = await card_saying(slack, "Unsure: check VPSBG before filing again")
    assert set(buttons(card)) == {"unsure_was_filed", "unsure_file_now"}
    assert await state_of(bot) is SubmissionState.UNSURE
    again = await bot.driver.submit(view_id, VPSBG_FILLED, view=form)  # a double click
    assert "Submitting this form again will not file" in modal_text(again.json()["view"])
    assert vpsbg_tickets(vpsbg) == 1
    sent = next(iter(vpsbg.tickets.values()))  # type: ignore[attr-defined]
    assert "(ticketbot ref S1)" in json.dumps(sent)  # the filer can search for it


async def test_it_was_filed_records_the_number_the_filer_found(
    make_bot: BotFactory, vpsbg: FakeServer, slack: FakeSlack
) -> None:
    bot = await vpsbg_bot(make_bot, vpsbg)
    view_id = await open_form(bot)
    vpsbg.fail(delay_after=1.0, path_contains="/support/tickets")
    await bot.driver.submit(view_id, VPSBG_FILLED)
    card = await card_saying(slack, "Unsure")
    slack.add_user("UEVE", "eve", "Eve", None)
    await click(bot, slack, buttons(card)["unsure_was_filed"], user="UEVE")  # not the filer
    refusal = await slack.wait_for("chat.postMessage", channel="UEVE")
    assert "Only the person who filed it" in refusal[0]["text"]
    await click(bot, slack, buttons(card)["unsure_was_filed"])
    number_view = await slack.wait_for_view("number")
    bad = await bot.driver.submit(number_view, {"number": "two words"})
    assert bad.json()["response_action"] == "errors"
    await bot.driver.submit(number_view, {"number": "#4242"})
    await card_saying(slack, "VPSBG ticket #4242")
    assert await state_of(bot) is SubmissionState.FILED
    assert vpsbg_tickets(vpsbg) == 1
    record = await bot.deps.store.tickets.ticket(1)
    assert record is not None and record.number == "4242" and record.closed  # not followed


async def test_file_it_now_sends_it_once(
    make_bot: BotFactory, vpsbg: FakeServer, slack: FakeSlack
) -> None:
    bot = await vpsbg_bot(make_bot, vpsbg)
    view_id = await open_form(bot)
    vpsbg.fail(drop=True, path_contains="/support/tickets")  # reset after sending: unknowable
    await bot.driver.submit(view_id, VPSBG_FILLED)
    card = await card_saying(slack, "Unsure")
    assert vpsbg_tickets(vpsbg) == 0
    await click(bot, slack, buttons(card)["unsure_file_now"])
    await click(bot, slack, buttons(card)["unsure_file_now"])  # a double click
    await card_saying(slack, "VPSBG ticket #")
    assert vpsbg_tickets(vpsbg) == 1
    assert await state_of(bot) is SubmissionState.FILED


# --- 2: a gateway's 5xx after the provider filed --------------------------------------------------


async def test_a_504_after_the_create_is_looked_up_not_filed_again(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Finding 2: any 5xx was taken as "nothing was created", so a gateway's 504 after the
    provider filed it made a twin."""
    view_id = await open_form(hostup_bot)
    hostup.fail(status_after=504, path_contains="/support/tickets")
    await hostup_bot.driver.submit(view_id, FILLED)
    await card_saying(slack, "HostUp ticket #10001")
    assert len(hostup.tickets) == 1 and creates(hostup) == 1
    assert any(r.method == "GET" and r.path == "/api/v2/support/tickets" for r in hostup.requests)


async def test_a_500_is_the_providers_own_failure_and_is_sent_again(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    view_id = await open_form(hostup_bot)
    hostup.fail(status=500, path_contains="/support/tickets")
    await hostup_bot.driver.submit(view_id, FILLED)
    await card_saying(slack, "HostUp ticket #10001")
    assert creates(hostup) == 2 and len(hostup.tickets) == 1
    assert not any(r.method == "GET" and "tickets" in r.path for r in hostup.requests[-3:])


async def test_a_504_where_nothing_can_be_looked_up_is_unsure(
    make_bot: BotFactory, vpsbg: FakeServer, slack: FakeSlack
) -> None:
    bot = await vpsbg_bot(make_bot, vpsbg)
    view_id = await open_form(bot)
    vpsbg.fail(status_after=504, path_contains="/support/tickets")
    await bot.driver.submit(view_id, VPSBG_FILLED)
    await card_saying(slack, "Unsure")
    assert vpsbg_tickets(vpsbg) == 1


# --- 3: every page since the attempt --------------------------------------------------------------


async def test_the_twin_is_found_past_the_first_page(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Finding 3: the twin check read only the first page (50) of the list, so a burst of 166
    submissions produced 167 tickets."""
    view_id = await open_form(hostup_bot)
    hostup.fail(delay_after=1.5, path_contains="/support/tickets")  # filed, answer too late
    await hostup_bot.driver.submit(view_id, FILLED)
    await slack.until(lambda: hostup.tickets, "the create")
    now = datetime.now(UTC).isoformat()
    for n in range(250):  # the team files 250 more tickets before the bot looks
        hostup.seed(f"other {n}", now)
    await card_saying(slack, "HostUp ticket #10001")
    assert creates(hostup) == 1 and len(hostup.tickets) == 251
    pages = [r for r in hostup.requests if r.method == "GET" and r.path.endswith("/tickets")]
    assert len(pages) == 3  # 100 + 100 + 51


async def test_a_list_that_is_not_there_makes_it_unsure_not_failed(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Finding 1: where the list answered 404/405 the submission was marked failed."""
    bot = await make_bot(hostup_table(hostup))
    view_id = await open_form(bot)
    hostup.fail(delay_after=1.5, path_contains="/support/tickets")
    await bot.driver.submit(view_id, FILLED)
    await slack.until(lambda: hostup.tickets, "the create")
    hostup.fail(status=405, times=10, path_contains="/support/tickets")
    await card_saying(slack, "Unsure: check HostUp")
    assert await state_of(bot) is SubmissionState.UNSURE
    assert creates(hostup) == 1
    assert not [t for t in channel_texts(slack) if t.startswith(":x:")]


async def test_a_same_subject_burst_takes_each_twin_once(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Several unanswered creates with one subject: each takes one ticket, none twice."""
    views = []
    for n in range(1, 5):
        await hostup_bot.driver.command("")
        await slack.wait_for("views.open", count=n)
    views = list(slack.views)
    for view_id in views:
        await slack.wait_for_text(view_id, "field:department")
    hostup.fail(delay_after=1.5, times=4, path_contains="/support/tickets")
    for view_id in views:
        await hostup_bot.driver.submit(view_id, FILLED)
    await slack.until(
        lambda: len([t for t in channel_texts(slack) if "HostUp ticket #" in t]) == 4,
        "four ticket cards",
        within=15,
    )
    assert creates(hostup) == 4 and len(hostup.tickets) == 4
    numbers = {t.split("#")[1].split("|")[0][:5] for t in channel_texts(slack) if "#" in t}
    assert numbers == {"10001", "10002", "10003", "10004"}


# --- 4: filed, but Slack will not take the card ---------------------------------------------------


async def test_the_number_reaches_the_filer_when_the_card_cannot_be_posted(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Finding 4: when chat.postMessage was rate-limited past the client's retries, or said
    internal_error, the modal said "Something went wrong… submit again"."""
    view_id = await open_form(hostup_bot)
    slack.fail(status=500, times=3, path_contains="chat.postMessage")
    response = await hostup_bot.driver.submit(view_id, FILLED)
    assert "Filing" in modal_text(response.json()["view"])
    shown = await slack.wait_for_text(view_id, "HostUp ticket #10001")
    assert "submit again" not in shown.lower() and "keeps trying" in shown
    private = await slack.wait_for_response()
    assert "HostUp ticket #10001" in private["text"]
    await card_saying(slack, "HostUp ticket #10001")  # posted once Slack takes it
    assert len(hostup.tickets) == 1
    for _ in range(500):  # the card is up; its record follows
        record = await hostup_bot.deps.store.tickets.ticket(1)
        if record is not None and record.card_ts:
            break
        await asyncio.sleep(0.01)
    assert record is not None and record.card_ts and record.card_due_at is None


# --- 6: a locked database -------------------------------------------------------------------------


async def test_a_locked_database_keeps_the_ack_fast_and_healthz_says_so(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Finding 6: while another process held BEGIN EXCLUSIVE the submit answered 500 after
    5.03 s and /healthz said 200."""
    view_id = await open_form(hostup_bot)
    other = sqlite3.connect(hostup_bot.deps.settings.env.ticketbot_db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        response = await hostup_bot.driver.submit(view_id, FILLED)
        took = time.monotonic() - started
        health = await hostup_bot.driver.http.get(f"{hostup_bot.url}/healthz")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert response.status_code == 200 and took < 2.0
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert "database is busy" in next(iter(answer["errors"].values()))
    assert health.status_code == 503 and health.json()["database"] is False
    healthy = await hostup_bot.driver.http.get(f"{hostup_bot.url}/healthz")
    assert healthy.status_code == 200
    await hostup_bot.driver.submit(view_id, FILLED)  # the same modal, again: filed once
    await card_saying(slack, "HostUp ticket #10001")
    assert len(hostup.tickets) == 1


async def test_a_card_is_owed_from_the_moment_the_ticket_is_recorded(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """A process that dies between recording the ticket and posting its card (kill -9) leaves
    the card owed: the next process's retry worker posts it once the grace is over."""
    from bot.domain.drafts import Draft, ModalContext
    from bot.domain.tickets import Filer, TicketRef

    draft = Draft(
        provider="hostup",
        values=FILLED,
        context=ModalContext(provider="hostup", channel_id="C0GENERAL"),
        filer=Filer(team_id=TEAM, user_id="UANA", name="ana"),
    )
    store = hostup_bot.deps.store
    submission, _ = await hostup_bot.deps.filing.submit("V-died-before-the-card", draft)
    record = await store.tickets.record_ticket(
        submission=submission,
        ref=TicketRef(provider="hostup", id="tkt_1", number="4711"),
        subject="db1 unreachable",
        priority=None,
    )
    assert record.card_due_at is not None and record.card_due_at > time.time()
    await store.cards.owe_card(record.id, time.time())  # the grace is over (the process died)
    hostup_bot.deps.wakeup.set()
    await card_saying(slack, "HostUp ticket #4711")
    view_id = await open_form(hostup_bot)  # and a normal filing owes nothing once posted
    await hostup_bot.driver.submit(view_id, FILLED)
    await card_saying(slack, "HostUp ticket #10001")
    for _ in range(500):
        filed = await store.tickets.ticket(2)
        if filed is not None and filed.card_ts:
            break
        await asyncio.sleep(0.01)
    assert filed is not None and filed.card_due_at is None
