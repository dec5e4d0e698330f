"""The alert after its ticket, for every alert style: fired again (one thread message edited in
place, one provider comment an hour), resolved (thread, provider comment with the duration,
the card says so). Time comes from a clock the test moves."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.tickets.alerts import fingerprint_of, is_resolved
from tests.alert_styles import STYLES, firing, resolved
from tests.clock import ManualClock
from tests.conftest import BotFactory, RunningBot, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.provider_cases import BY_KIND, provider_table
from tests.slack_driver import EventsDriver, shortcut_payload

CHANNEL = "C0GENERAL"


@pytest.mark.parametrize("style", STYLES)
def test_each_style_resolves_under_the_same_identity(style: str) -> None:
    fired, over = firing(style, "1.0"), resolved(style, "2.0")
    assert fingerprint_of(fired) is not None
    assert fingerprint_of(over) == fingerprint_of(fired)
    assert not is_resolved(fired)
    assert is_resolved(over)


def test_a_body_that_mentions_resolving_is_not_a_recovery() -> None:
    message = firing("datadog", "1.0")
    message["blocks"][1]["text"]["text"] = "DNS name not resolved; recovered hosts: none"
    assert not is_resolved(message)


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


@pytest.mark.parametrize("style", STYLES)
async def test_fired_twice_more_then_resolved(
    style: str, make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    clock = ManualClock(now=time.time())
    bot = await make_bot(hostup_table(hostup), clock=clock.time)
    events = EventsDriver(bot.driver)
    slack.add_user("U0ONCALL", "olle", "Olle On-call", "olle@example.com")
    t0 = time.time() - 3600
    first = firing(style, f"{t0:.6f}")
    await file_alert(bot, slack, first, {"department": "vps"})
    ticket = next(iter(hostup.tickets.values()))

    again = slack.post_as_bot(CHANNEL, firing(style, f"{t0 + 600:.6f}"))
    await events.message(CHANNEL, again)
    await slack.until(lambda: ticket["messages"], "the refire comment")
    note = (await slack.wait_for("chat.postMessage", count=2))[1]
    assert note["thread_ts"] == first["ts"]
    assert "fired again" in note["text"] and "(2nd time since filing)" in note["text"]

    third = slack.post_as_bot(CHANNEL, firing(style, f"{t0 + 1200:.6f}"))
    await events.message(CHANNEL, third)
    edited = await slack.until(
        lambda: [u for u in slack.calls_to("chat.update") if "3rd time" in str(u.get("text"))],
        "the note edited to the 3rd time",
    )
    assert len(edited) == 1
    notes = [t for t in thread_texts(slack, first["ts"]) if "fired again" in t]
    assert len(notes) == 1 and "3rd time since filing" in notes[0]  # one message, edited
    comments = [m["body"] for m in ticket["messages"]]
    assert len(comments) == 1  # within the hour: the provider heard once
    assert (
        comments[0].startswith("The alert fired again at ")
        and "(2 times since filing)" in comments[0]
    )

    over = slack.post_as_bot(CHANNEL, resolved(style, f"{t0 + 1380:.6f}"))
    await events.message(CHANNEL, over)
    await slack.until(lambda: len(ticket["messages"]) == 2, "the resolve comment")
    assert "resolved at" in ticket["messages"][1]["body"]
    assert ticket["messages"][1]["body"].endswith("after 23 min.")
    said = thread_texts(slack, first["ts"])
    assert any("Resolved at" in t and "after 23 min" in t for t in said)
    card = await slack.until(
        lambda: [
            u
            for u in slack.calls_to("chat.update")
            if "alert resolved" in json.dumps(u.get("blocks"))
        ],
        "the card saying alert resolved",
    )
    assert card
    await events.message(CHANNEL, over, event_id="EvAgain")  # Slack's re-delivery
    await events.message(CHANNEL, slack.post_as_bot(CHANNEL, resolved(style, f"{t0 + 1400:.6f}")))
    await bot.runtime.poller.pass_once()
    assert len(ticket["messages"]) == 2  # resolved once
    assert len([t for t in thread_texts(slack, first["ts"]) if "Resolved at" in t]) == 1


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
    await bot.runtime.poller.pass_once()
    await slack.wait_for("chat.postMessage")
    assert not any("fired again" in t for t in thread_texts(slack, first["ts"]))
