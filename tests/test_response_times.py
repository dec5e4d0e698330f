"""How fast each provider answers: the reminder when the target passes (once), the figures
on a known set, and ``/ticket stats`` end to end. Time comes from a clock the test moves."""

from __future__ import annotations

import time

from bot.domain.records import TicketRecord
from bot.slack.views.stats import stats_text
from bot.tickets.response_times import figures, percentile
from tests.clock import ManualClock
from tests.conftest import BotFactory, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.flows import open_form
from tests.test_durable import FILLED, card_text

HOUR = 3600.0


def ticket(n: int, *, replied: float | None, closed: float | None, at: float = 0.0) -> TicketRecord:
    return TicketRecord(
        id=n,
        provider="hostup",
        provider_ticket_id=str(n),
        number=str(n),
        url=None,
        subject="s",
        priority=None,
        status="open",
        team_id="T",
        filed_by="U",
        channel_id="C",
        card_ts="1.0",
        thread_ts="1.0",
        created_at=at,
        first_reply_at=None if replied is None else at + replied,
        closed_at=None if closed is None else at + closed,
    )


def test_figures_on_a_known_set() -> None:
    tickets = [
        ticket(1, replied=0.5 * HOUR, closed=2 * HOUR),
        ticket(2, replied=1 * HOUR, closed=4 * HOUR),
        ticket(3, replied=3 * HOUR, closed=None),
        ticket(4, replied=None, closed=None),  # unanswered for 5 h: past the target
        ticket(5, replied=None, closed=None, at=4.5 * HOUR),  # unanswered, target not passed
    ]
    found = figures("hostup", "HostUp", tickets, can_report=True, target=2 * HOUR, now=5 * HOUR)
    assert found.filed == 5 and found.answered == 3
    assert found.first_reply_median == 1 * HOUR
    assert found.first_reply_p90 == 3 * HOUR
    assert found.closed == 2 and found.close_median == 3 * HOUR
    assert found.within_target == 0.5  # 2 of the 4 measurable
    line = stats_text([found], 30)
    assert "HostUp*: 5 filed" in line and "median 1 h, p90 3 h (3 answered)" in line
    assert "closed median 3 h (2 closed)" in line and "50% within the 2 h target" in line


def test_a_provider_that_cannot_report_says_so_instead_of_zeros() -> None:
    found = figures(
        "vpsbg",
        "VPSBG",
        [ticket(1, replied=None, closed=None)],
        can_report=False,
        target=HOUR,
        now=HOUR,
    )
    text = stats_text([found], 7)
    assert "VPSBG cannot report staff replies or status, so no times" in text
    assert "0 h" not in text and "0%" not in text


def test_percentile_is_nearest_rank() -> None:
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    assert percentile([7], 0.9) == 7


async def test_one_reminder_when_the_target_passes_then_stats(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    clock = ManualClock(now=time.time())
    bot = await make_bot(
        hostup_table(hostup, extra="poll_seconds = 3600\nfirst_response_minutes = 120"),
        clock=clock.time,
    )
    view_id = await open_form(bot)
    await bot.driver.submit(view_id, FILLED)
    card = await card_text(slack, "HostUp ticket #10001")
    await clock.advance(1.5 * HOUR)
    await bot.runtime.poller.pass_once()
    assert not [m for m in slack.calls_to("chat.postMessage") if "has not answered" in m["text"]]
    await clock.advance(2.5 * HOUR)
    await bot.runtime.poller.pass_once()
    await bot.runtime.poller.pass_once()
    reminders = [m for m in slack.calls_to("chat.postMessage") if "has not answered" in m["text"]]
    assert len(reminders) == 1
    assert reminders[0]["thread_ts"] == card["ts"]
    assert reminders[0]["text"] == (
        ":alarm_clock: <@UANA> HostUp has not answered in 4 h (target 2 h)."
    )

    ticket_ = next(iter(hostup.tickets.values()))
    ticket_["messages"].append(
        {
            "id": "m1",
            "ticketId": ticket_["id"],
            "sentAt": None,
            "body": "On it",
            "sender": "staff",
            "senderName": "Olle",
            "encrypted": False,
            "attachments": [],
        }
    )
    await clock.advance(0.5 * HOUR)
    record = await bot.deps.store.tickets.ticket(1)
    assert record is not None
    await bot.runtime.poller.poll(record)
    await bot.driver.command("stats hostup 7")
    said = await slack.wait_for_response()
    assert "last 7 days" in said["text"]
    assert "HostUp*: 1 filed" in said["text"]
    assert "first staff reply median 4.5 h" in said["text"]
    assert "0% within the 2 h target" in said["text"]
    await bot.driver.command("stats soon")
    wrong = await slack.wait_for_response(2)
    assert "Use `/ticket stats [provider] [days]`" in wrong["text"]
