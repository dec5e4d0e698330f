"""Signed payloads of shapes the bot does not expect (issue #27), generated with Hypothesis and
sent to the real endpoint: each gets a 200 (events) or a 400, never a 500; no traceback, no
error logged; nothing posted for a payload the bot does not understand.

Two generators: envelopes of each kind with arbitrary JSON where Slack sends objects, and
real payloads (a modal's submit, its provider picker, the shortcut, the events the bot
handles) with one value somewhere replaced by arbitrary JSON or removed.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.logs import setup_logging
from tests.conftest import RunningBot
from tests.fakes.slack_api import TEAM, FakeSlack
from tests.flows import open_form
from tests.slack_driver import fill, shortcut_payload

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
KINDS = ("view_submission", "block_actions", "message_action", "shortcut", "view_closed")
EVENTS = ("message", "reaction_added", "app_home_opened", "function_executed", "app_mention")
KEYS = (
    "user",
    "team",
    "view",
    "actions",
    "trigger_id",
    "response_url",
    "callback_id",
    "message",
    "channel",
    "container",
    "state",
    "api_app_id",
)
FAST = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# NOTE: a trigger id of the right shape but made up is refused by Slack itself (views.open)
KEPT = ("trigger_id",)
POSTING = ("chat.postMessage", "chat.postEphemeral", "chat.update")
ERROR_WORDS = ("went wrong", "unexpected")


@pytest.fixture
def bot_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield io.StringIO()
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def interactive(payload: Any) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def event_body(event: Any, **envelope: Any) -> bytes:
    body = {
        "token": "t",
        "team_id": TEAM,
        "api_app_id": "A0TICKET",
        "type": "event_callback",
        "event_id": "Ev1",
        "event_time": 1,
        "event": event,
        **envelope,
    }
    return json.dumps(body).encode()


@st.composite
def odd_envelopes(draw: st.DrawFn) -> tuple[bytes, str]:
    """A payload of a kind the bot handles, its fields arbitrary JSON; which endpoint kind."""
    if draw(st.booleans()):
        payload = {"type": draw(st.sampled_from(KINDS) | st.text(max_size=10) | JSON)}
        payload |= draw(st.dictionaries(st.sampled_from(KEYS), JSON, max_size=6))
        return interactive(payload), "interactive"
    event = draw(
        JSON
        | st.fixed_dictionaries({"type": st.sampled_from(EVENTS)}).flatmap(
            lambda base: st.dictionaries(st.text(max_size=10), JSON, max_size=5).map(
                lambda extra: {**extra, **base}
            )
        )
    )
    envelope = draw(
        st.dictionaries(
            st.sampled_from(("event_id", "team_id", "authorizations")), JSON, max_size=2
        )
    )
    return event_body(event, **envelope), "event"


def mutate(draw: Callable[[st.SearchStrategy[Any]], Any], value: Any) -> Any:
    """``value`` with one place in it replaced by arbitrary JSON, or a key removed."""
    keys = sorted(k for k in value if k not in KEPT) if isinstance(value, dict) else []
    if keys and draw(st.integers(0, 3)):
        key = draw(st.sampled_from(keys))
        if draw(st.integers(0, 4)) == 0:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: mutate(draw, value[key])}
    if isinstance(value, list) and value and draw(st.integers(0, 3)):
        index = draw(st.integers(0, len(value) - 1))
        return [*value[:index], mutate(draw, value[index]), *value[index + 1 :]]
    return draw(JSON)


def _real_payloads(bot: RunningBot, slack: FakeSlack, view_id: str) -> list[tuple[bytes, str]]:
    view = dict(slack.view(view_id))
    view["state"] = {"values": fill(view, {"department": "vps"})}
    user = {"id": "UANA", "username": "ana", "name": "ana", "team_id": TEAM}
    submit = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": user,
        "view": view,
        "api_app_id": "A0TICKET",
        "trigger_id": "1.2.3",
    }
    pick = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": user,
        "view": view,
        "trigger_id": "1.2.3",
        "container": {"type": "view", "view_id": view_id},
        "actions": [
            {
                "action_id": "value",
                "block_id": "provider",
                "type": "static_select",
                "selected_option": {"value": "hostup"},
                "action_ts": "1",
            }
        ],
    }
    message = {
        "type": "message",
        "channel": "C0GENERAL",
        "user": "UBOB",
        "text": "hi",
        "ts": "1732400000.000100",
        "thread_ts": "1732400000.000001",
        "attachments": [{"title": "[FIRING:1] Disk", "fields": [{"title": "a", "value": "b"}]}],
    }
    reaction = {
        "type": "reaction_added",
        "user": "UANA",
        "reaction": "ticket",
        "item": {"type": "message", "channel": "C0GENERAL", "ts": "1732400000.000100"},
    }
    step = {
        "type": "function_executed",
        "function_execution_id": "Fx1",
        "inputs": {"provider": "hostup"},
        "function": {"callback_id": "file_ticket"},
    }
    return [
        (interactive(submit), "interactive"),
        (interactive(pick), "interactive"),
        (interactive(shortcut_payload(slack, {**message, "thread_ts": None})), "interactive"),
        (event_body(message), "event"),
        (event_body(reaction), "event"),
        (event_body(step), "event"),
    ]


async def _check(bot: RunningBot, out: io.StringIO, body: bytes, kind: str) -> None:
    out.seek(0)
    out.truncate()
    content_type = "application/json" if kind == "event" else "application/x-www-form-urlencoded"
    response = await bot.driver.send(body, content_type)
    await bot.idle()  # and what the request started after its ack has run
    logged = out.getvalue()
    envelope = json.loads(body) if kind == "event" else None
    is_event = isinstance(envelope, dict) and envelope.get("type") == "event_callback"
    allowed = (200,) if is_event else (200, 400)
    assert response.status_code in allowed, f"HTTP {response.status_code}: {logged}"
    assert "Traceback" not in logged, logged
    for line in logged.splitlines():
        assert json.loads(line).get("level") not in ("error", "ERROR", "critical"), line


@FAST
@given(odd=odd_envelopes())
async def test_odd_envelopes_get_200_or_400_and_nothing_else(
    hostup_bot: RunningBot, slack: FakeSlack, bot_log: io.StringIO, odd: tuple[bytes, str]
) -> None:
    setup_logging("json", redactor=hostup_bot.deps.redactor, stream=bot_log)
    await _check(hostup_bot, bot_log, *odd)
    assert not [c for m in POSTING for c in slack.calls_to(m)]
    assert not slack.responses


@FAST
@given(data=st.data())
async def test_real_payloads_with_one_value_out_of_shape_never_fail(
    hostup_bot: RunningBot, slack: FakeSlack, bot_log: io.StringIO, data: st.DataObject
) -> None:
    setup_logging("json", redactor=hostup_bot.deps.redactor, stream=bot_log)
    if not slack.views:
        await open_form(hostup_bot)
    payloads = _real_payloads(hostup_bot, slack, next(iter(slack.views)))
    raw, kind = data.draw(st.sampled_from(payloads))
    real = json.loads(raw if kind == "event" else parse_qs(raw.decode())["payload"][0])
    odd = mutate(data.draw, real)
    await _check(
        hostup_bot, bot_log, json.dumps(odd).encode() if kind == "event" else interactive(odd), kind
    )
    said = json.dumps([c for m in POSTING for c in slack.calls_to(m)] + slack.responses)
    assert not any(word in said for word in ERROR_WORDS), said


async def test_a_thread_reply_without_its_channel_is_left_alone(
    hostup_bot: RunningBot, slack: FakeSlack, bot_log: io.StringIO
) -> None:
    """Found by the test above: a person's thread reply with no ``channel`` raised a KeyError
    after the ack."""
    setup_logging("json", redactor=hostup_bot.deps.redactor, stream=bot_log)
    reply = {"type": "message", "user": "UBOB", "text": "hi", "ts": "2.0", "thread_ts": "1.0"}
    await _check(hostup_bot, bot_log, event_body(reply), "event")
    assert not [c for m in POSTING for c in slack.calls_to(m)]
