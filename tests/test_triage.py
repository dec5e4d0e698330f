"""Which requests are answered before bolt (bot.slack.triage): a table of events as Slack
delivers them, every alert fixture, and the endpoint's answer and metrics for chatter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.slack.triage import none_of_our_business, skippable
from tests.conftest import RunningBot
from tests.fakes.slack_api import FakeSlack

PAYLOADS = Path(__file__).resolve().parent / "payloads"
TS, THREAD = "1733500000.000200", "1733500000.000100"


def callback(event: dict[str, Any]) -> dict[str, Any]:
    return {"type": "event_callback", "team_id": "T0FAKE", "event_id": "Ev1", "event": event}


def message(**fields: Any) -> dict[str, Any]:
    return {"type": "message", "channel": "C0GENERAL", "ts": TS, **fields}


ALERT = {"bot_id": "B0ALERTS", "subtype": "bot_message", "text": "[FIRING:1] HighLatency"}
PERSON = {"user": "UANA", "text": "lunch?", "ts": THREAD}

# (name, body, none of our business?)
TABLE: list[tuple[str, dict[str, Any], bool]] = [
    ("chatter", callback(message(user="UANA", text="lunch?")), True),
    ("chatter with a link", callback(message(user="UANA", text="<https://example.com>")), True),
    ("a thread's parent as posted", callback(message(user="UANA", thread_ts=TS)), True),
    ("a file shared at the top", callback(message(subtype="file_share", user="UANA")), True),
    ("a join", callback(message(subtype="channel_join", user="UANA")), True),
    ("a topic change", callback(message(subtype="channel_topic", user="UANA")), True),
    ("the thread-parent notice", callback(message(subtype="message_replied")), True),
    (
        "a person's edit",
        callback(message(subtype="message_changed", message=PERSON, previous_message=PERSON)),
        True,
    ),
    (
        "a person's deletion",
        callback(message(subtype="message_deleted", previous_message=PERSON)),
        True,
    ),
    ("a reply in a thread", callback(message(user="UANA", thread_ts=THREAD)), False),
    (
        "a broadcast reply",
        callback(message(subtype="thread_broadcast", user="UANA", thread_ts=THREAD)),
        False,
    ),
    ("an alert (bot_message)", callback(message(**ALERT)), False),
    ("an app's post (bot_id only)", callback(message(bot_id="B0APP", text="deployed")), False),
    ("a bot_message without bot_id", callback(message(subtype="bot_message")), False),
    (
        "an alert's edit",
        callback(message(subtype="message_changed", message={**ALERT, "ts": THREAD})),
        False,
    ),
    (
        "an edit whose old version was an alert",
        callback(message(subtype="message_changed", message=PERSON, previous_message={**ALERT})),
        False,
    ),
    (
        "an alert's deletion",
        callback(message(subtype="message_deleted", previous_message={**ALERT})),
        False,
    ),
    ("a reaction", callback({"type": "reaction_added", "user": "UANA"}), False),
    ("a link to unfurl", callback({"type": "link_shared", "links": []}), False),
    ("App Home", callback({"type": "app_home_opened", "user": "UANA"}), False),
    ("a workflow step", callback({"type": "function_executed"}), False),
    ("url_verification", {"type": "url_verification", "challenge": "c"}, False),
    ("an event that is not an object", {"type": "event_callback", "event": "message"}, False),
    ("no event", {"type": "event_callback"}, False),
    ("an edit of an odd shape", callback(message(subtype="message_changed", message=[])), True),
]


@pytest.mark.parametrize(
    ("body", "skip"), [(b, s) for _, b, s in TABLE], ids=[n for n, *_ in TABLE]
)
def test_which_events_are_none_of_our_business(body: dict[str, Any], skip: bool) -> None:
    assert none_of_our_business(body) is skip
    assert skippable(json.dumps(body).encode()) is skip


def fixture(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


ALERTS = [p for p in sorted(PAYLOADS.glob("*.json")) if fixture(p).get("bot_id")]


@pytest.mark.parametrize("path", ALERTS, ids=lambda p: p.stem)
def test_every_alert_fixture_goes_to_bolt(path: Path) -> None:
    """Every alert tool's notification (tests/payloads/, each citing its source) and its edit."""
    fixture_ = fixture(path)
    body = callback({**fixture_, "type": "message", "channel": "C0ALERTS"})
    assert not none_of_our_business(body)
    edited = callback(message(subtype="message_changed", message=fixture_))
    assert not none_of_our_business(edited), "an alert tool's edit (resolved) must reach bolt"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"payload=%7B%7D",
        b"command=%2Fticket",
        b"{not json",
        b"[1]",
        b"\xff{",
        b'{"a": 1',
        b"[" * 100_000,
    ],
)
def test_forms_and_broken_bodies_are_bolts(raw: bytes) -> None:
    assert not skippable(raw)


async def test_chatter_is_answered_without_bolt(hostup_bot: RunningBot, slack: FakeSlack) -> None:
    """Chatter and a join are answered 200 with nothing in the body and never reach bolt
    (counted apart in the metrics); a thread reply and an alert still reach it."""
    events = hostup_bot.driver
    for n, event in enumerate(
        [
            message(user="UANA", text="lunch?"),
            message(subtype="channel_join", user="UBOB"),
            message(user="UANA", text="same here", thread_ts=THREAD),
            message(**ALERT),
        ]
    ):
        answer = await events.event(event, event_id=f"Ev{n}")
        assert answer.status_code == 200
    text = (await events.http.get(f"{hostup_bot.url}/metrics")).text
    assert 'ticketbot_slack_requests_total{kind="event_skipped"} 2.0' in text
    assert 'ticketbot_slack_requests_total{kind="event"} 2.0' in text
    assert not slack.calls_to("chat.postMessage")
