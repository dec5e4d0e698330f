"""Never lose a ticket, never file it twice: retries, twins, restarts, re-deliveries."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any

from bot.domain.drafts import Draft, ModalContext
from bot.domain.records import SubmissionState
from bot.domain.tickets import Filer
from bot.runtime import running
from bot.tickets.filing import RetryPolicy
from tests.conftest import FAST_RETRIES, BotFactory, RunningBot, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.flows import open_form

FILLED = {"department": "vps", "subject": "db1 unreachable", "description": "Ping fails."}


def creates(fake: FakeHostUp) -> int:
    return len(
        [r for r in fake.requests if r.method == "POST" and r.path == "/api/v2/support/tickets"]
    )


async def card_text(slack: FakeSlack, contains: str) -> dict[str, Any]:
    """Wait until the channel's card (its first top-level bot message) says ``contains``."""

    def card() -> dict[str, Any] | None:
        top = [m for m in slack.channels["C0GENERAL"].messages if not m.get("thread_ts")]
        return top[0] if top and contains in str(top[0]["text"]) else None

    found: dict[str, Any] = await slack.until(card, f"a card saying {contains!r}", within=10)
    return found


async def test_fails_three_times_then_succeeds_one_ticket_card_shows_retries(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    view_id = await open_form(hostup_bot)
    hostup.fail(status=500, times=3, path_contains="/support/tickets")
    await hostup_bot.driver.submit(view_id, FILLED)
    await card_text(slack, "Queued: HostUp is not answering, retrying (attempt 1)")
    updates = await slack.wait_for("chat.update", count=3, within=10)
    assert "(attempt 3)" in updates[1]["text"] or "(attempt 3)" in updates[0]["text"]
    card = await card_text(slack, "HostUp ticket #10001")
    assert len(slack.channels["C0GENERAL"].messages) == 1  # one card, updated in place
    assert creates(hostup) == 4 and len(hostup.tickets) == 1
    assert "filed by <@UANA>" in card["text"]
    await slack.wait_for_text(view_id, "#10001")


async def test_rate_limit_waits_for_retry_after(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    view_id = await open_form(hostup_bot)
    hostup.fail(status=429, retry_after=1, path_contains="/support/tickets")
    await hostup_bot.driver.submit(view_id, FILLED)
    await card_text(slack, "Queued")
    await card_text(slack, "HostUp ticket #10001")
    retry_gap = [r for r in hostup.requests if r.method == "POST"]
    assert len(retry_gap) == 2 and len(hostup.tickets) == 1


async def test_timeout_after_creating_does_not_file_a_twin(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    view_id = await open_form(hostup_bot)
    hostup.fail(delay_after=1.5, path_contains="/support/tickets")  # created, answer too late
    await hostup_bot.driver.submit(view_id, FILLED)
    await card_text(slack, "HostUp ticket #10001")
    assert len(hostup.tickets) == 1 and creates(hostup) == 1  # looked, found it, no re-send
    assert any(r.method == "GET" and r.path == "/api/v2/support/tickets" for r in hostup.requests)


async def given_up(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack, env: dict[str, str] | None = None
) -> tuple[RunningBot, dict[str, Any]]:
    """A bot whose first submission HostUp kept failing until the window closed; its card."""
    bot = await make_bot(
        hostup_table(hostup),
        env=env,
        policy=RetryPolicy(window=0.5, base_delay=0.1, max_delay=0.2),
    )
    view_id = await open_form(bot)
    hostup.fail(status=500, times=100, path_contains="/support/tickets")
    await bot.driver.submit(view_id, FILLED)
    return bot, await card_text(slack, "Could not file with HostUp")


async def test_gives_up_after_the_window_and_edit_and_retry_reopens_the_draft(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot, card = await given_up(make_bot, hostup, slack)
    button = card["blocks"][1]["elements"][0]
    assert button["text"]["text"] == "Edit & retry"
    hostup.failures.clear()
    await bot.driver.interact(
        {
            "type": "block_actions",
            "team": {"id": "T0001"},
            "user": {"id": "UANA", "username": "ana"},
            "trigger_id": slack.trigger(),
            "container": {"type": "message"},
            "channel": {"id": "C0GENERAL"},
            "response_url": slack.response_url(),
            "actions": [{**button, "block_id": "retry", "action_ts": "1"}],
        }
    )
    reopened = await slack.wait_for("views.open", count=2)
    assert "db1 unreachable" in json.dumps(reopened[-1]["view"])  # the stored draft
    submission = await bot.deps.store.submissions.submission(1)
    assert submission is not None and submission.state is SubmissionState.GAVE_UP


async def test_restart_mid_retry_files_once(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(
        hostup_table(hostup), policy=RetryPolicy(window=60, base_delay=30, max_delay=30)
    )
    view_id = await open_form(bot)
    hostup.fail(delay_after=1.5, path_contains="/support/tickets")  # filed; answer lost
    await bot.driver.submit(view_id, FILLED)
    await card_text(slack, "may already exist at HostUp")
    submission = await bot.deps.store.submissions.submission(1)
    assert submission is not None and submission.state is SubmissionState.RETRYING
    # "restart": a new runtime over the same database resumes the parked submission now
    await bot.deps.store.submissions.resume_interrupted(dead_after=30, at_start=True)
    await bot.deps.store.submissions.schedule_retry(1, at=0, reason="restart", check_twin=True)
    async with running(bot.deps, drain_seconds=1):
        await card_text(slack, "HostUp ticket #10001")
    assert len(hostup.tickets) == 1 and creates(hostup) == 1


async def test_interrupted_submission_resumes_on_start(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup))
    view_id = await open_form(bot)

    draft = Draft(
        provider="hostup",
        values=FILLED,
        context=ModalContext(provider="hostup", channel_id="C0GENERAL"),
        filer=Filer(team_id="T0001", user_id="UANA", name="ana"),
    )
    submission, _ = await bot.deps.filing.submit("V-crashed", draft)
    assert await bot.deps.store.submissions.claim_submission(submission.id, draft.model_dump_json())
    # the process died here, mid-call: the row says "filing"
    async with running(bot.deps, drain_seconds=1):
        await card_text(slack, "HostUp ticket #10001")
    assert len(hostup.tickets) == 1
    assert view_id


async def test_a_saved_submission_whose_first_attempt_never_started_is_filed_by_the_worker(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Saved and acked, then its job died before claiming it (a database or Slack error): the
    retry worker takes it over once its first attempt is overdue, profile and all."""
    bot = await make_bot(
        hostup_table(hostup), policy=dataclasses.replace(FAST_RETRIES, first_attempt_within=0.3)
    )
    draft = Draft(
        provider="hostup",
        values=FILLED,
        context=ModalContext(provider="hostup", channel_id="C0GENERAL"),
        filer=Filer(team_id="T0001", user_id="UANA", name="name-from-the-payload"),
    )
    submission, created = await bot.deps.filing.submit("V-orphaned", draft)  # and no job
    assert created and submission.state is SubmissionState.PENDING
    await card_text(slack, "HostUp ticket #10001")
    assert len(hostup.tickets) == 1
    body = next(iter(hostup.tickets.values()))["body"]
    assert "Filed via Slack by ana" in body  # users.info's display name, as a first attempt
    filed = await bot.deps.store.submissions.submission(submission.id)
    assert filed is not None and filed.state is SubmissionState.FILED and filed.attempts == 1


async def test_a_runtime_that_ends_leaves_another_runtimes_loops_running(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Two runtimes over one bot (a restart, above): the one that ends stops its own retry
    worker and poller only; the other's still takes a submission whose job never ran."""
    bot = await make_bot(
        hostup_table(hostup), policy=dataclasses.replace(FAST_RETRIES, first_attempt_within=0.3)
    )
    async with running(bot.deps, drain_seconds=1):
        pass
    draft = Draft(
        provider="hostup",
        values=FILLED,
        context=ModalContext(provider="hostup", channel_id="C0GENERAL"),
        filer=Filer(team_id="T0001", user_id="UANA", name="ana"),
    )
    await bot.deps.filing.submit("V-after-a-restart", draft)  # and no job
    await card_text(slack, "HostUp ticket #10001")
    await bot.idle()


async def test_a_status_change_is_told_once_when_its_card_is_gone(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Someone deleted the card: the thread still hears of the change, once, and the status
    is recorded (before, the failed card edit aborted the poll and every pass told it again)."""
    bot = await make_bot(hostup_table(hostup))
    view_id = await open_form(bot)
    await bot.driver.submit(view_id, FILLED)
    card = await card_text(slack, "HostUp ticket #10001")
    slack.channels["C0GENERAL"].messages.remove(card)  # deleted in Slack
    next(iter(hostup.tickets.values()))["status"] = "answered"
    for _ in range(3):
        await bot.runtime.poller.pass_once()
        await bot.deps.store.db.write1("UPDATE tickets SET next_poll_at = 0")
    await bot.idle()
    told = [m for m in slack.calls_to("chat.postMessage") if "open → *answered*" in str(m["text"])]
    assert len(told) == 1
    [ticket] = await bot.deps.store.db.rows("SELECT status FROM tickets")
    assert ticket["status"] == "answered"


async def test_a_long_tickets_staff_replies_are_each_told_once(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """A ticket with 230 staff replies: each reaches the thread once, at most 20 a read.
    Before, only the last 200 ids told were remembered, so the 30 oldest were told again at
    every read, for ever."""
    bot = await make_bot(hostup_table(hostup))
    view_id = await open_form(bot)
    await bot.driver.submit(view_id, FILLED)
    await card_text(slack, "HostUp ticket #10001")
    ticket = next(iter(hostup.tickets.values()))
    for n in range(230):
        ticket["messages"].append(
            {
                "id": f"tmsg_{n}",
                "ticketId": ticket["id"],
                "sentAt": None,
                "body": f"reply number {n}.",
                "sender": "staff",
                "senderName": "Olle",
                "encrypted": False,
                "attachments": [],
            }
        )
    told: list[int] = []
    for _ in range(15):
        before = len(slack.calls_to("chat.postMessage"))
        await bot.runtime.poller.pass_once()
        await bot.deps.store.db.write1("UPDATE tickets SET next_poll_at = 0")
        told.append(len(slack.calls_to("chat.postMessage")) - before)
    await bot.idle()
    posted = [str(m["text"]) for m in slack.calls_to("chat.postMessage")]
    bodies = [text for text in posted if "reply number" in text]
    assert sorted(bodies) == sorted(set(bodies)) and len(bodies) == 230
    assert max(told) <= 20 and told[-3:] == [0, 0, 0], told


async def test_status_change_and_staff_reply_reach_the_thread(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup, extra="poll_seconds = 1"))
    view_id = await open_form(bot)
    await bot.driver.submit(view_id, FILLED)
    card = await card_text(slack, "HostUp ticket #10001")
    ticket = next(iter(hostup.tickets.values()))
    ticket["status"] = "answered"
    ticket["messages"].append(
        {
            "id": "tmsg_9",
            "ticketId": ticket["id"],
            "sentAt": None,
            "body": "We rebooted <!channel> db1",
            "sender": "staff",
            "senderName": "Olle",
            "encrypted": False,
            "attachments": [],
        }
    )
    reply = await slack.wait_for("chat.postMessage", count=3, within=10)
    thread = [m for m in reply if m.get("thread_ts") == card["ts"]]
    texts = " | ".join(m["text"] for m in thread)
    assert "HostUp #10001: open → *answered*" in texts
    assert "*Olle* on HostUp #10001" in texts and "&lt;!channel&gt;" in texts
    updated = await slack.wait_for("chat.update")
    assert "Status: *answered*" in json.dumps(updated[-1]["blocks"])
    ticket["status"] = "closed"
    await slack.wait_for("chat.postMessage", count=4, within=10)

    async def closed() -> bool:
        record = await bot.deps.store.tickets.ticket(1)
        return record is not None and record.closed

    for _ in range(500):  # a closed ticket is no longer read
        if await closed():
            break
        await asyncio.sleep(0.01)
    assert await closed()


async def test_thread_reply_reaches_the_ticket_once(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup, extra="poll_seconds = 3600"))
    view_id = await open_form(bot)
    await bot.driver.submit(view_id, FILLED)
    card = await card_text(slack, "HostUp ticket #10001")
    event = {
        "type": "message",
        "channel": "C0GENERAL",
        "user": "UANA",
        "text": "Rebooted, <@UBOB> still sees it",
        "ts": "1732400000.000200",
        "thread_ts": card["ts"],
    }
    first = await bot.driver.event(event, event_id="Ev1")
    again = await bot.driver.event(event, event_id="Ev1", retry=1)  # Slack re-delivers
    assert first.status_code == again.status_code == 200
    await bot.driver.event({**event, "subtype": "message_changed"}, event_id="Ev2")
    await bot.driver.event({**event, "bot_id": "B1", "ts": "1732400000.000300"}, event_id="Ev3")
    await slack.wait_for("reactions.add")
    ticket = next(iter(hostup.tickets.values()))
    await bot.idle()  # a (wrong) second copy would have arrived by now
    assert [m["body"] for m in ticket["messages"]] == [
        "ana (via Slack): Rebooted, @UBOB still sees it"
    ]
    assert len(slack.calls_to("reactions.add")) == 1


async def test_status_command(hostup_bot: RunningBot, slack: FakeSlack) -> None:
    view_id = await open_form(hostup_bot)
    await hostup_bot.driver.submit(view_id, FILLED)
    await card_text(slack, "HostUp ticket #10001")
    await hostup_bot.driver.command("status 10001")
    reply = await slack.wait_for_response()
    assert "HostUp ticket #10001" in reply["text"] and "status *open*" in reply["text"]
    await hostup_bot.driver.command("status 999")
    assert "No ticket #999" in (await slack.wait_for_response(2))["text"]


async def test_submissions_that_fall_due_together_are_retried_side_by_side(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(
        hostup_table(hostup), policy=RetryPolicy(window=60, base_delay=0.5, max_delay=0.5)
    )
    for n in range(1, 5):
        await bot.driver.command("")
        await slack.wait_for("views.open", count=n)
    views = list(slack.views)
    for view_id in views:
        await slack.wait_for_text(view_id, "field:department")
    hostup.fail(status=500, times=4, path_contains="/support/tickets")
    for view_id in views:
        await bot.driver.submit(view_id, FILLED)
    await slack.until(lambda: creates(hostup) >= 4, "four refused creates")
    hostup.latency = 0.8  # back, but slow: one after another would take 3.2 s
    started = time.monotonic()
    await slack.until(lambda: len(hostup.tickets) == 4, "four tickets", within=10)
    assert time.monotonic() - started < 2.5
