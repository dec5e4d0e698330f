"""Edits the bot keeps making (an alert's note, a card) against the fake Slack with Slack's
rate limits on: the latest text of a message wins, a message edited again soon waits until it
is left alone, urgent edits go first, no more than the limit leave in any 60 s, a resolution
says how often the alert fired (and its note's waiting edit is dropped), and a note someone
deleted is posted anew. Time is a clock that moves only when the pacer waits."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.records import AlertPhase, AlertState, TicketRecord
from bot.metrics import Metrics
from bot.slack.alert_thread import AlertThread
from bot.slack.edits import PacedEdits
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.fakes.slack_limits import RateWindow


class Background:
    """Holds spawned work the way ``Deps.spawn`` does, so a test can wait for it."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[Any]] = []

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        self.tasks.append(asyncio.ensure_future(work))

    async def done(self) -> None:
        while not all(t.done() for t in self.tasks):
            await asyncio.gather(*self.tasks)


class Clock:
    """Time that moves only when the pacer waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=f"{slack.url}/api/")


def post(slack: FakeSlack, n: int) -> str:
    ts = f"1733500000.{n:06d}"
    slack.channels["C0GENERAL"].messages.append({"type": "message", "ts": ts, "text": "old"})
    return ts


def paced(slack: FakeSlack, clock: Clock, background: Background, **limits: Any) -> PacedEdits:
    return PacedEdits(
        client(slack), background.spawn, clock=clock.time, sleep=clock.sleep, **limits
    )


async def test_the_latest_text_of_a_message_wins(slack: FakeSlack) -> None:
    slack.rates = RateWindow()
    clock, background = Clock(), Background()
    edits = paced(slack, clock, background)
    ts = post(slack, 1)
    for n in range(1, 31):  # a storm: thirty refires before the first edit can leave
        edits.edit("C0GENERAL", ts, text=f"fired {n} times", order=n)
    edits.edit("C0GENERAL", ts, text="fired 29 times", order=29)  # a job that finished late
    await background.done()
    assert [u["text"] for u in slack.calls_to("chat.update")] == ["fired 30 times"]
    assert clock.waits == []  # not edited lately: at once
    assert not slack.limited


async def test_a_message_edited_again_soon_waits_until_left_alone(slack: FakeSlack) -> None:
    clock, background = Clock(), Background()
    edits = paced(slack, clock, background, settle=10.0, max_wait=300.0)
    ts = post(slack, 1)
    edits.edit("C0GENERAL", ts, text="fired 2 times", order=2)
    await background.done()
    clock.now += 3
    for n in range(3, 8):
        edits.edit("C0GENERAL", ts, text=f"fired {n} times", order=n)
    await background.done()
    assert [u["text"] for u in slack.calls_to("chat.update")] == [
        "fired 2 times",
        "fired 7 times",
    ]
    assert clock.waits == [10.0]  # left alone for 10 s after the last edit


async def test_no_more_than_the_limit_leave_in_any_minute_urgent_first(slack: FakeSlack) -> None:
    clock, background = Clock(), Background()
    edits = paced(slack, clock, background, per_minute=3)
    notes = [post(slack, n) for n in range(5)]
    for ts in notes:
        edits.edit("C0GENERAL", ts, text=f"note {ts}")
    card = post(slack, 9)
    edits.edit("C0GENERAL", card, urgent=True, text="card: alert resolved")
    await background.done()
    sent = [u["ts"] for u in slack.calls_to("chat.update")]
    assert sent == [card, *notes]  # the urgent one ahead of the notes, which keep their order
    assert clock.waits == [60.0]  # three, then the other three a minute later
    assert not [c for c in slack.calls if not c.ok]


async def test_a_resolution_says_how_often_and_drops_the_notes_waiting_edit(
    slack: FakeSlack,
) -> None:
    clock, background = Clock(), Background()
    thread = AlertThread(client(slack), paced(slack, clock, background))
    parent, note = post(slack, 1), post(slack, 2)
    ticket = ticket_with(channel="C0GENERAL", thread_ts=parent, note_ts=note)
    await thread.alert_fired_again(ticket, "HostUp", 1733500100.0, 3)
    await background.done()
    await thread.alert_fired_again(ticket, "HostUp", 1733500110.0, 4)  # waits: edited lately
    await thread.alert_resolved(
        ticket_with(channel="C0GENERAL", thread_ts=parent, note_ts=None, firings=4),
        "HostUp",
        1733500120.0,
        "2 min",
    )
    await background.done()
    assert len(slack.calls_to("chat.update")) == 1  # the 3rd time; the 4th is in the resolution
    said = slack.calls_to("chat.postMessage")[-1]["text"]
    assert "Resolved at" in said and "it fired 4 times since filing" in said


async def test_a_deleted_note_is_posted_anew_and_then_edited(slack: FakeSlack) -> None:
    clock, background = Clock(), Background()
    web = client(slack)
    thread = AlertThread(web, paced(slack, clock, background))
    parent = post(slack, 1)
    ticket = ticket_with(channel="C0GENERAL", thread_ts=parent, note_ts="1733500000.999999")
    assert await thread.alert_fired_again(ticket, "HostUp", 1733500100.0, 3) is None
    await background.done()
    anew = await slack.wait_for("chat.postMessage")
    assert anew[0]["thread_ts"] == parent and "3rd time" in anew[0]["text"]
    moved = slack.channels["C0GENERAL"].messages[-1]["ts"]
    assert await thread.alert_fired_again(ticket, "HostUp", 1733500200.0, 4) == moved
    await background.done()
    assert slack.calls_to("chat.update")[-1]["ts"] == moved
    assert "4th time" in slack.calls_to("chat.update")[-1]["text"]


def ticket_with(
    *, channel: str, thread_ts: str, note_ts: str | None, firings: int = 2
) -> TicketRecord:
    return TicketRecord(
        id=1,
        provider="hostup",
        provider_ticket_id="1",
        number="10001",
        url=None,
        subject="Disk full",
        priority=None,
        status="open",
        team_id="T0FAKE",
        filed_by="UANA",
        channel_id=channel,
        card_ts=None,
        thread_ts=thread_ts,
        created_at=1733500000.0,
        alert=AlertState(
            AlertPhase.FIRING, fired_at=1733500000.0, firings=firings, note_ts=note_ts
        ),
    )


async def test_the_edits_waiting_are_a_metric(slack: FakeSlack) -> None:
    """An operator sees the edits Slack's rate limit holds back (``ticketbot_edits_waiting``)."""
    clock, background = Clock(), Background()
    edits = paced(slack, clock, background, per_minute=1)
    metrics = Metrics()
    metrics.watch_edits(lambda: edits.pending)
    for n in range(1, 4):
        edits.edit("C0GENERAL", post(slack, n), text=f"card {n}", urgent=True)
    assert "ticketbot_edits_waiting 3.0" in metrics.render().decode()
    await background.done()
    assert "ticketbot_edits_waiting 0.0" in metrics.render().decode()
    assert len(slack.calls_to("chat.update")) == 3
    assert clock.waits == [60.0, 60.0]  # one a minute
