"""The alert after its ticket, for every source in the catalogue (tests/alert_sources.py's
table, fixtures rendered from each tool's own source): filed with its subject, priority and
facts; fired again (one thread message edited in place, one provider comment an hour);
resolved by a new message or by an edit of the first (thread, provider comment with the
duration, the card says so). Time comes from a clock the test moves."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import replace
from typing import Any

import pytest

from bot.alerts.generic import title_key
from bot.domain.alerts import Alert, legacy_key
from bot.domain.records import CommentState
from bot.slack.listeners.events import READ_INLINE_BYTES
from tests.alert_sources import (
    ROWS,
    Row,
    edit,
    expect,
    firing,
    in_thread,
    is_edit,
    message,
    squash,
    words,
)
from tests.clock import ManualClock
from tests.conftest import BotFactory, RunningBot, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_limits import RateWindow
from tests.provider_cases import BY_KIND, provider_table
from tests.slack_driver import EventsDriver, shortcut_payload
from tests.test_alert_sources import SUMMARIES

CHANNEL = "C0GENERAL"
PRIORITY = {"critical": "urgent", "warning": "medium", "info": "low"}


def resolved(tool: str, ts: str) -> dict[str, Any]:
    row = next(r for r in ROWS if r.tool == tool and r.resolved and not is_edit(tool, r.resolved))
    assert row.resolved is not None
    return message(tool, row.resolved, ts)


async def file_alert(
    bot: RunningBot, slack: FakeSlack, message: dict[str, Any], values: dict[str, str]
) -> dict[str, Any]:
    """The alert arrives (nothing to follow yet), is filed with the shortcut; returns the card."""
    events = EventsDriver(bot.driver)
    slack.post_as_bot(CHANNEL, message)
    await events.message(CHANNEL, message)
    await bot.driver.interact(shortcut_payload(slack, message))
    view_id = await slack.wait_for_view("field:subject")
    await bot.driver.submit(view_id, values)
    cards = await slack.wait_for("chat.postMessage")
    assert cards[0]["thread_ts"] == message["ts"]
    return cards[0]


def thread_texts(slack: FakeSlack, thread_ts: str) -> list[str]:
    return [
        str(m["text"])
        for m in slack.channels[CHANNEL].messages
        if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts
    ]


async def resolve(
    bot: RunningBot, slack: FakeSlack, row: Row, first: dict[str, Any], ts: str
) -> dict[str, Any]:
    """The tool says the alert is over: a new message, or its first message edited."""
    assert row.resolved is not None
    if is_edit(row.tool, row.resolved):
        event = edit(row.tool, row.resolved, of=first, ts=ts)
    else:
        over = message(row.tool, row.resolved, ts)
        if in_thread(row.tool, row.resolved):
            over["thread_ts"] = first["ts"]
        event = slack.post_as_bot(CHANNEL, over)
    await EventsDriver(bot.driver).message(CHANNEL, event)
    return event


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
async def test_filed_fired_again_then_resolved(
    row: Row, make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    clock = ManualClock(now=time.time())
    slack.rates = RateWindow()  # Slack's rate limits: the bot must not meet them
    bot = await make_bot(hostup_table(hostup), clock=clock.time)
    events = EventsDriver(bot.driver)
    t0 = time.time() - 3600
    first = message(row.tool, row.firing, f"{t0:.6f}")
    await file_alert(bot, slack, first, {"department": "vps"})
    ticket = next(iter(hostup.tickets.values()))
    told = expect(row.tool, row.firing)
    assert words(title_key(told["subject"])) <= words(title_key(ticket["subject"]))
    if told.get("severity") and not told["resolved"]:
        assert ticket["priority"] == PRIORITY[told["severity"]]
    summaries = SUMMARIES.get((row.tool, row.firing), set())
    facts = [f for f in told["facts"] if f not in summaries]
    assert [f for f in facts if squash(f) not in squash(ticket["body"])] == []

    again = message(row.tool, row.refire or row.firing, f"{t0 + 600:.6f}")
    await events.message(CHANNEL, slack.post_as_bot(CHANNEL, again))
    await slack.until(lambda: ticket["messages"], "the refire comment")
    note = (await slack.wait_for("chat.postMessage", count=2))[1]
    assert note["thread_ts"] == first["ts"]
    assert "fired again" in note["text"] and "(2nd time since filing)" in note["text"]
    assert ticket["messages"][0]["body"].startswith("The alert fired again at ")
    if row.resolved is None:
        return  # NOTE: Falco's events never resolve

    over = await resolve(bot, slack, row, first, f"{t0 + 1380:.6f}")
    await slack.until(lambda: len(ticket["messages"]) == 2, "the resolve comment")
    assert "resolved at" in ticket["messages"][1]["body"]
    assert ticket["messages"][1]["body"].endswith("after 23 min.")
    said = thread_texts(slack, first["ts"])
    assert [t for t in said if "Resolved at" in t and "after 23 min" in t]
    assert await slack.until(
        lambda: [
            u
            for u in slack.calls_to("chat.update")
            if "alert resolved" in json.dumps(u.get("blocks"))
        ],
        "the card saying alert resolved",
    )
    await events.message(CHANNEL, over, event_id="EvAgain")  # Slack's re-delivery
    await bot.idle()
    await bot.runtime.poller.pass_once()
    assert len(ticket["messages"]) == 2  # resolved once
    assert len([t for t in thread_texts(slack, first["ts"]) if "Resolved at" in t]) == 1
    assert not slack.limited


async def test_a_refire_an_hour_later_comments_again(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    clock = ManualClock(now=time.time())
    bot = await make_bot(hostup_table(hostup), clock=clock.time)
    events = EventsDriver(bot.driver)
    t0 = time.time() - 7200
    first = firing("alertmanager", f"{t0:.6f}")
    await file_alert(bot, slack, first, {"department": "vps"})
    ticket = next(iter(hostup.tickets.values()))
    await events.message(
        CHANNEL, slack.post_as_bot(CHANNEL, firing("alertmanager", f"{t0 + 60:.6f}"))
    )
    await slack.until(lambda: len(ticket["messages"]) == 1, "the first refire comment")
    await clock.advance(3601)
    await events.message(
        CHANNEL, slack.post_as_bot(CHANNEL, firing("alertmanager", f"{t0 + 120:.6f}"))
    )
    await slack.until(lambda: len(ticket["messages"]) == 2, "a refire comment an hour on")
    assert "(3 times since filing)" in ticket["messages"][1]["body"]


async def test_a_refire_too_long_to_read_on_the_event_loop_is_followed_all_the_same(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup))
    events = EventsDriver(bot.driver)
    t0 = time.time() - 3600
    first = firing("alertmanager", f"{t0:.6f}")
    await file_alert(bot, slack, first, {"department": "vps"})
    long = firing("alertmanager", f"{t0 + 60:.6f}")
    long["attachments"][0]["text"] += "\n" + "runbook line " * (READ_INLINE_BYTES // 10)
    assert len(json.dumps(long)) > READ_INLINE_BYTES  # read in a worker thread
    await events.message(CHANNEL, slack.post_as_bot(CHANNEL, long))
    note = (await slack.wait_for("chat.postMessage", count=2))[1]
    assert note["thread_ts"] == first["ts"] and "(2nd time since filing)" in note["text"]


async def test_a_provider_without_replies_gets_the_thread_messages_only(
    make_bot: BotFactory, slack: FakeSlack
) -> None:
    case = BY_KIND["ispcrm"]  # NOTE: ISPCRM documents no way to add to a ticket
    fake = case.fake()
    await fake.start()
    try:
        bot = await make_bot(provider_table(case, fake.url), env=case.env)
        events = EventsDriver(bot.driver)
        t0 = time.time() - 3600
        first = firing("datadog", f"{t0:.6f}")
        await file_alert(bot, slack, first, {"subject_id": "1"})
        sent = len(fake.requests)
        await events.message(
            CHANNEL, slack.post_as_bot(CHANNEL, firing("datadog", f"{t0 + 60:.6f}"))
        )
        await events.message(
            CHANNEL, slack.post_as_bot(CHANNEL, resolved("datadog", f"{t0 + 300:.6f}"))
        )
        await slack.until(
            lambda: any("Resolved at" in t for t in thread_texts(slack, first["ts"])),
            "the resolved note",
        )
        assert any("fired again" in t for t in thread_texts(slack, first["ts"]))
        await bot.idle()
        told = [r for r in fake.requests[sent:] if "alert" in json.dumps(r.body)]
        assert told == []  # ISPCRM heard nothing of it
    finally:
        await fake.stop()


async def test_follow_alerts_off_in_a_route(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    routes = f'[[routes]]\nchannels = ["{CHANNEL}"]\nprovider = "hostup"\nfollow_alerts = false\n'
    bot = await make_bot(hostup_table(hostup), routes=routes)
    events = EventsDriver(bot.driver)
    t0 = time.time() - 3600
    first = firing("grafana", f"{t0:.6f}")
    await file_alert(bot, slack, first, {"department": "vps"})
    await events.message(CHANNEL, slack.post_as_bot(CHANNEL, firing("grafana", f"{t0 + 60:.6f}")))
    await bot.idle()
    await bot.runtime.poller.pass_once()
    await slack.wait_for("chat.postMessage")
    assert not any("fired again" in t for t in thread_texts(slack, first["ts"]))


async def test_a_comment_the_provider_refused_for_a_while_is_sent_once_later(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    clock = ManualClock(now=time.time())
    bot = await make_bot(hostup_table(hostup), clock=clock.time)
    events = EventsDriver(bot.driver)
    t0 = time.time() - 3600
    await file_alert(bot, slack, firing("datadog", f"{t0:.6f}"), {"department": "vps"})
    ticket = next(iter(hostup.tickets.values()))
    hostup.fail(status=429, retry_after=30, path_contains="/messages")
    over = slack.post_as_bot(CHANNEL, resolved("datadog", f"{t0 + 600:.6f}"))
    await events.message(CHANNEL, over)
    await slack.until(
        lambda: any(r.path.endswith("/messages") for r in hostup.requests), "the first try"
    )
    assert ticket["messages"] == []
    await bot.runtime.poller.pass_once()  # not due yet: the clock has not moved
    assert ticket["messages"] == []
    await clock.advance(60)
    await bot.runtime.poller.pass_once()
    await bot.runtime.poller.pass_once()
    assert len(ticket["messages"]) == 1
    assert ticket["messages"][0]["body"].endswith("after 10 min.")


async def test_a_comment_whose_answer_was_lost_is_not_sent_again(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    clock = ManualClock(now=time.time())
    bot = await make_bot(hostup_table(hostup, timeout=0.5), clock=clock.time)
    events = EventsDriver(bot.driver)
    t0 = time.time() - 3600
    await file_alert(bot, slack, firing("grafana", f"{t0:.6f}"), {"department": "vps"})
    ticket = next(iter(hostup.tickets.values()))
    hostup.fail(delay_after=1.0, path_contains="/messages")  # added, the answer too late
    await events.message(CHANNEL, slack.post_as_bot(CHANNEL, resolved("grafana", f"{t0 + 60:.6f}")))
    await slack.until(lambda: ticket["messages"], "the comment, added")
    for _ in range(500):  # until the bot has given up waiting for the answer
        if (await bot.deps.store.comments.comments_of(1))[0].state is CommentState.UNSURE:
            break
        await asyncio.sleep(0.01)
    for _ in range(3):
        await clock.advance(3600)
        await bot.runtime.poller.pass_once()
    assert len(ticket["messages"]) == 1
    [comment] = await bot.deps.store.comments.comments_of(1)
    assert comment.state is CommentState.UNSURE


async def test_an_alert_filed_twice_updates_the_newest_ticket_only(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup))
    events = EventsDriver(bot.driver)
    t0 = time.time() - 3600
    first = firing("pagerduty", f"{t0:.6f}")
    await file_alert(bot, slack, first, {"department": "vps"})
    second = slack.post_as_bot(CHANNEL, firing("pagerduty", f"{t0 + 60:.6f}"))
    await bot.driver.interact(shortcut_payload(slack, second))
    view_id = await slack.until(
        lambda: [v for v, view in slack.views.items() if "File a new ticket" in json.dumps(view)],
        "the second form",
    )
    await bot.driver.submit(view_id[0], {"department": "vps"})
    await slack.wait_for("chat.postMessage", count=2)
    await events.message(
        CHANNEL, slack.post_as_bot(CHANNEL, firing("pagerduty", f"{t0 + 120:.6f}"))
    )
    await slack.until(
        lambda: any("fired again" in t for t in thread_texts(slack, second["ts"])), "the note"
    )
    assert not any("fired again" in t for t in thread_texts(slack, first["ts"]))
    newest, older = sorted(hostup.tickets.values(), key=lambda t: t["number"], reverse=True)
    await slack.until(lambda: newest["messages"], "the comment on the newest")
    assert older["messages"] == []


async def test_a_firing_after_the_ticket_closed_is_a_new_alert(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup))
    events = EventsDriver(bot.driver)
    t0 = time.time() - 3600
    await file_alert(bot, slack, firing("alertmanager", f"{t0:.6f}"), {"department": "vps"})
    next(iter(hostup.tickets.values()))["status"] = "closed"
    record = await bot.deps.store.tickets.ticket(1)
    assert record is not None
    await bot.runtime.poller.poll(record)
    later = slack.post_as_bot(CHANNEL, firing("alertmanager", f"{t0 + 900:.6f}"))
    await events.message(CHANNEL, later)  # nothing to follow: its ticket is closed
    await bot.driver.interact(shortcut_payload(slack, later))
    view_id = await slack.until(
        lambda: [v for v, view in slack.views.items() if "previously filed" in json.dumps(view)],
        "the form for the new alert",
    )
    shown = json.dumps(slack.view(view_id[0]))
    assert "HostUp ticket #10001" in shown and "File a new ticket" not in shown
    assert not any("fired again" in str(m.get("text")) for m in slack.channels[CHANNEL].messages)


def kept_by_0_1_0(message: dict[str, Any]) -> str | None:
    """The key 0.1.0 kept for an alert's tickets: its ``fingerprint_of`` (commit 22159ce,
    bot/tickets/alerts.py), the identity alone, with no channel or sender."""
    for attachment in message.get("attachments") or []:
        for field in attachment.get("fields") or []:
            if str(field.get("title", "")).lower().replace("_", "") == "groupkey":
                return f"alertmanager:{field.get('value')}"
    text = json.dumps(message)
    for pattern, kind in (
        (r"datadoghq\.[a-z]+/monitors/(\d+)", "datadog:monitor"),
        (r"pagerduty\.com/incidents/(\w+)", "pagerduty:incident"),
        (r"/alerting/grafana/([\w-]+)/view", "grafana:rule"),
    ):
        if match := re.search(pattern, text):
            return f"{kind}:{match.group(1)}"
    return None


KEPT_BY_0_1_0 = [r for r in ROWS if kept_by_0_1_0(message(r.tool, r.firing, "1.000000"))]


@pytest.mark.parametrize("row", KEPT_BY_0_1_0, ids=[row.id for row in KEPT_BY_0_1_0])
async def test_a_ticket_filed_by_0_1_0_is_still_followed_from_its_channel(
    row: Row, make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup), clock=ManualClock(now=time.time()).time)
    events = EventsDriver(bot.driver)
    t0 = time.time() - 3600
    first = message(row.tool, row.firing, f"{t0:.6f}")
    await file_alert(bot, slack, first, {"department": "vps"})
    legacy = kept_by_0_1_0(first)
    db = bot.deps.store.db
    await db.write1("UPDATE tickets SET fingerprint = ?", (legacy,))  # as 0.1.0 left it

    async def kept() -> str:
        return str((await db.rows("SELECT fingerprint FROM tickets"))[0]["fingerprint"])

    slack.add_channel("C0OTHER", "other", members={"UANA"})
    elsewhere = message(row.tool, row.refire or row.firing, f"{t0 + 300:.6f}")
    await events.message("C0OTHER", slack.post_as_bot("C0OTHER", elsewhere))
    await bot.idle()
    assert await kept() == legacy, "a look-alike in another channel adopts nothing"
    assert len(slack.calls_to("chat.postMessage")) == 1

    again = message(row.tool, row.refire or row.firing, f"{t0 + 600:.6f}")
    await events.message(CHANNEL, slack.post_as_bot(CHANNEL, again))
    note = (await slack.wait_for("chat.postMessage", count=2))[1]
    assert note["thread_ts"] == first["ts"] and "fired again" in note["text"]
    assert (await kept()).startswith(f"{CHANNEL}|"), "known by its channel and sender now"


def test_an_alertmanager_group_key_keeps_its_colons_in_the_key_0_1_0_kept() -> None:
    group = '{}/{severity="page"}:{alertname="InstanceDown"}'
    alert = Alert("alertmanager", "s", "", None, f"alertmanager:group:{group}", False)
    assert legacy_key(alert) == f"alertmanager:{group}"
    assert legacy_key(replace(alert, identity="grafana:rule:-:CPU high")) is None
    assert legacy_key(replace(alert, identity="zabbix:event:42")) is None
