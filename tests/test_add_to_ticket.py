"""*Add to a ticket*: a message (and its files) reaches an existing ticket as a comment, once;
its thread follows the ticket; ISPCRM, which takes no comments, is offered a link first."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from bot.domain.additions import MessageRef, add_key
from bot.slack.listeners.add_step import ADD_INPUTS, ADD_OUTPUTS
from bot.slack.views.ids import ActionId, BlockId, CallbackId, FunctionId
from bot.store import Store
from tests.alert_sources import firing
from tests.conftest import BotFactory, RunningBot, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.ispcrm import STATIC_TOKEN, FakeIspCrm
from tests.fakes.slack_api import FakeSlack
from tests.flows import modal_text, open_form
from tests.provider_cases import CASES, provider_table
from tests.slack_driver import EventsDriver, fill, shortcut_payload
from tests.test_manifest import manifest
from tests.test_reactions import ALERTS, FILE_AT_ONCE, alerts_channel
from tests.test_shortcut import alert
from tests.ticket_seeds import seed_ticket

FILLED = {"department": "vps", "subject": "db1 unreachable", "description": "Ping fails."}


@pytest.fixture
async def ispcrm() -> AsyncIterator[FakeIspCrm]:
    fake = FakeIspCrm()
    await fake.start()
    yield fake
    await fake.stop()


async def _filed(bot: RunningBot, slack: FakeSlack) -> dict[str, Any]:
    """File one HostUp ticket through the form; its card, once posted."""
    view_id = await open_form(bot)
    await bot.driver.submit(view_id, FILLED)

    def card() -> dict[str, Any] | None:
        top = [m for m in slack.channels["C0GENERAL"].messages if not m.get("thread_ts")]
        return top[0] if top and "#10001" in str(top[0]["text"]) else None

    found: dict[str, Any] = await slack.until(card, "the ticket card", within=10)
    return found


async def _add_form(bot: RunningBot, message: dict[str, Any], user: str = "UANA") -> str:
    """Use *Add to a ticket* on ``message``; the id of the modal once it offers tickets."""
    payload = shortcut_payload(bot.slack, message, user=user)
    payload["callback_id"] = CallbackId.ADD_SHORTCUT
    response = await bot.driver.interact(payload)
    assert response.status_code == 200
    return await bot.slack.wait_for_view(BlockId.ADD_TYPED)


async def _click_in_modal(
    bot: RunningBot, view_id: str, block_id: str, button: dict[str, Any]
) -> None:
    """A click on ``button`` in the modal as it stands (its inputs as filled)."""
    slack = bot.slack
    view = {**slack.view(view_id), "state": {"values": fill(slack.view(view_id), {})}}
    await bot.driver.interact(
        {
            "type": "block_actions",
            "team": {"id": "T0001", "domain": "fake"},
            "user": {"id": "UANA", "username": "ana", "name": "ana", "team_id": "T0001"},
            "api_app_id": "A0TICKET",
            "trigger_id": slack.trigger(),
            "container": {"type": "view", "view_id": view_id},
            "view": view,
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": block_id,
                    "value": button["value"],
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
    )


def _replies(hostup: FakeHostUp) -> list[str]:
    ticket = next(iter(hostup.tickets.values()))
    return [m["body"] for m in ticket["messages"]]


async def test_a_message_with_a_file_reaches_the_ticket_and_its_thread_follows(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup, extra="poll_seconds = 1"))
    card = await _filed(bot, slack)
    slack.add_channel("C0OPS", "ops", members={"UBOT", "UANA"})
    info = slack.add_file("F1", "dmesg.txt", b"I/O error on sda")
    message = slack.post_as_bot(
        "C0GENERAL", {"text": "db1 disk errors again", "user": "UANA", "files": [info]}
    )
    view_id = await _add_form(bot, message)
    assert "HostUp #10001" in modal_text(slack.view(view_id))  # offered: this channel's
    ticket_id = str((await bot.deps.store.tickets.tickets_by_number("T0001", "10001"))[0].id)
    response = await bot.driver.submit(view_id, {BlockId.ADD_PICK: ticket_id})
    assert response.status_code == 200 and "Adding to HostUp #10001" in response.text
    await slack.wait_for_text(view_id, "Added to")
    assert "dmesg.txt" in slack.view_text(view_id)
    body = _replies(hostup)[0]
    assert "db1 disk errors again" in body and "Added from Slack by ana" in body
    assert "https://fake.slack.com/archives/C0GENERAL/p" in body  # the message's link
    attachments = next(iter(hostup.tickets.values()))["attachments"]
    assert [a["filename"] for a in attachments] == ["dmesg.txt"]
    channel = slack.channels["C0GENERAL"].messages
    in_message_thread = [m for m in channel if m.get("thread_ts") == message["ts"]]
    assert "added this message to" in in_message_thread[0]["text"]
    in_card_thread = [m for m in channel if m.get("thread_ts") == card["ts"]]
    assert any("from <#C0GENERAL> to this ticket" in str(m["text"]) for m in in_card_thread)
    # the next status change and staff reply reach the message's thread too
    ticket = next(iter(hostup.tickets.values()))
    ticket["status"] = "answered"
    ticket["messages"].append(
        {
            "id": "tmsg_staff",
            "ticketId": ticket["id"],
            "sentAt": None,
            "body": "Replaced the disk",
            "sender": "staff",
            "senderName": "Olle",
            "encrypted": False,
            "attachments": [],
        }
    )

    def followed() -> list[str] | None:
        texts = [str(m["text"]) for m in channel if m.get("thread_ts") == message["ts"]]
        done = any("→ *answered*" in t for t in texts) and any(
            "Replaced the disk" in t for t in texts
        )
        return texts if done else None

    await slack.until(followed, "status and staff reply in the message's thread", within=10)
    # and a reply in the message's thread goes to the ticket
    events = bot.driver
    reply = {
        "type": "message",
        "channel": "C0GENERAL",
        "user": "UANA",
        "text": "It is back after the swap",
        "ts": f"{float(message['ts']) + 5:.6f}",
        "thread_ts": message["ts"],
        "channel_type": "channel",
    }
    await events.event(reply, event_id="Ev-reply-1")
    await slack.until(
        lambda: any("back after the swap" in b for b in _replies(hostup)) or None,
        "the thread reply at the ticket",
    )


async def test_a_double_submitted_add_comments_once(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup, extra="poll_seconds = 3600"))
    await _filed(bot, slack)
    message = slack.post_as_bot("C0GENERAL", {"text": "and again", "user": "UANA"})
    view_id = await _add_form(bot, message)
    form = dict(slack.view(view_id))
    typed = {str(BlockId.ADD_TYPED): "hostup #10001"}
    shown = len([c for c in slack.calls_to("views.update") if c["view_id"] == view_id])
    first, second = await asyncio.gather(
        bot.driver.submit(view_id, typed, view=form), bot.driver.submit(view_id, typed, view=form)
    )
    assert first.status_code == second.status_code == 200
    # both adds have finished: the picker, then one outcome each
    outcomes = await slack.wait_for("views.update", count=shown + 2, view_id=view_id)
    said = " | ".join(json.dumps(o["view"]["blocks"]) for o in outcomes[shown:])
    assert "Added to" in said and "added to" in said and "already" in said
    assert len(_replies(hostup)) == 1
    notes = [
        m
        for m in slack.channels["C0GENERAL"].messages
        if m.get("thread_ts") == message["ts"] and "added this message" in str(m["text"])
    ]
    assert len(notes) == 1


async def test_unknown_hidden_and_malformed_numbers_get_a_clear_line(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup, extra="poll_seconds = 3600"))
    slack.add_user("UBEN", "ben", "Ben", "ben@example.com")
    slack.channels["C0GENERAL"].members.add("UBEN")
    slack.add_channel("C0SECRET", "secret", private=True, members={"UBOT", "UANA"})
    await seed_ticket(bot.deps.store, "777", channel="C0SECRET")
    message = slack.post_as_bot("C0GENERAL", {"text": "hello", "user": "UBEN"})
    view_id = await _add_form(bot, message, user="UBEN")
    answers = {}
    for typed in ("hostup 777", "hostup 778", "hostup ../../x", "hostup abc", "nosuch 1"):
        response = await bot.driver.submit(view_id, {BlockId.ADD_TYPED: typed}, user="UBEN")
        answers[typed] = json.loads(response.text)["errors"][BlockId.ADD_TYPED]
    assert answers["hostup 777"].replace("777", "N") == answers["hostup 778"].replace("778", "N")
    assert "letters, digits" in answers["hostup ../../x"]
    assert "not a HostUp ticket number" in answers["hostup abc"]  # the provider's own shape
    assert "like `hostup 10001`" in answers["nosuch 1"]
    assert [r for r in hostup.requests if "/messages" in r.path] == []


async def test_ispcrm_offers_link_only_before_anything_is_sent(
    make_bot: BotFactory, hostup: FakeHostUp, ispcrm: FakeIspCrm, slack: FakeSlack
) -> None:
    case = next(c for c in CASES if c.kind == "ispcrm")
    bot = await make_bot(
        hostup_table(hostup, extra="poll_seconds = 3600") + provider_table(case, ispcrm.url),
        env={"ISP_TOKEN": STATIC_TOKEN},
    )
    record = await seed_ticket(bot.deps.store, "4242", provider="ispcrm")
    message = slack.post_as_bot("C0GENERAL", {"text": "link me", "user": "UANA"})
    view_id = await _add_form(bot, message)
    response = await bot.driver.submit(view_id, {BlockId.ADD_PICK: str(record.id)})
    asked = json.loads(response.text)
    assert asked["response_action"] == "update"
    assert "takes no comments" in json.dumps(
        asked["view"]
    ) and "Nothing has been sent" in json.dumps(asked["view"])
    before = len(ispcrm.requests)
    slack.views[view_id] = {**asked["view"], "id": view_id}  # Slack shows the answer's view
    await bot.driver.submit(view_id, {})
    await slack.wait_for_text(view_id, "Linked to")
    await bot.idle()
    assert len(ispcrm.requests) == before  # nothing went to ISPCRM
    assert await bot.deps.store.threads.followed_threads(record.id) == [
        ("C0GENERAL", message["ts"])
    ]


async def test_an_alert_with_an_open_ticket_offers_add_to_first(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = hostup_bot
    message = alert("alertmanager")
    await bot.driver.interact(shortcut_payload(slack, message))
    first = await slack.wait_for_view("field:subject")
    await bot.driver.submit(first, {"department": "vps"})
    await slack.wait_for_text(first, "#10001")
    again = slack.post_as_bot("C0GENERAL", {**message, "ts": "1732359999.000100"})
    await bot.driver.interact(shortcut_payload(slack, again))
    opened = (await slack.wait_for("views.open", count=2))[-1]["view"]
    banner = next(b for b in opened["blocks"] if b.get("block_id") == BlockId.BANNER)
    offer = banner["accessory"]
    assert offer["text"]["text"] == "Add to HostUp #10001"
    assert opened["submit"]["text"] == "File a new ticket"
    view_id = list(slack.views)[-1]
    await _click_in_modal(bot, view_id, BlockId.BANNER, offer)
    await slack.wait_for_text(view_id, "Added to")
    await bot.idle()
    assert len(hostup.tickets) == 1  # no second ticket
    body = _replies(hostup)[0]
    assert "Added from Slack by ana" in body and again["ts"] != message["ts"]
    record = (await bot.deps.store.tickets.tickets_by_number("T0001", "10001"))[0]
    assert await bot.deps.store.threads.followed_threads(record.id) == [("C0GENERAL", again["ts"])]


async def test_the_emoji_on_an_alert_with_an_open_ticket_offers_add_to_first(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    alerts_channel(slack)
    bot = await make_bot(hostup_table(hostup, extra="poll_seconds = 3600"), routes=FILE_AT_ONCE)
    events = EventsDriver(bot.driver)
    first = slack.post_as_bot(ALERTS, firing("alertmanager", f"{time.time() - 60:.6f}"))
    await events.reaction("UBOB", ALERTS, first["ts"])
    await slack.wait_for("chat.postMessage")  # filed at once: HostUp #10001
    again = slack.post_as_bot(ALERTS, firing("alertmanager", f"{time.time() - 30:.6f}"))
    await events.reaction("UBOB", ALERTS, again["ts"], event_id="EvAgain")
    prompt = (await slack.wait_for("chat.postEphemeral"))[0]
    buttons = next(b for b in prompt["blocks"] if b["type"] == "actions")["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Add to HostUp #10001", "File a new ticket"]
    await events.click(ActionId.ADD_FROM_REACTION, buttons[0]["value"], user="UBOB", channel=ALERTS)
    told = await slack.wait_for_response()
    assert "Added to" in told["text"] and told["replace_original"] is True
    assert len(hostup.tickets) == 1 and len(_replies(hostup)) == 1
    assert "InstanceDown" in _replies(hostup)[0]


def person(user_id: str) -> dict[str, str]:
    """A ``slack#/types/user_context`` value, as Slack fills it for the workflow's runner."""
    return {"id": user_id, "secret": "c2VjcmV0LXVzZXItY29udGV4dA=="}


def _add_step_event(execution: str, **inputs: object) -> dict[str, Any]:
    return {
        "type": "function_executed",
        "function": {"id": "Fn0ADD", "callback_id": "add_to_ticket", "type": "app"},
        "inputs": inputs,
        "function_execution_id": execution,
        "workflow_execution_id": f"Wx{execution[2:]}",
        "event_ts": f"{time.time():.6f}",
        "bot_access_token": "xwfp-test-step-token",
    }


async def test_the_workflow_step_adds_once_and_completes(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup, extra="poll_seconds = 3600"))
    await _filed(bot, slack)
    slack.step_outputs = ("state",)
    execution = slack.start_execution()
    event = _add_step_event(
        execution,
        provider="hostup",
        ticket_number="10001",
        text="Nightly check failed",
        added_by=person("UANA"),
    )
    await bot.driver.event(event, event_id="EvStep1")
    await bot.driver.event(event, event_id="EvStep1", retry=1)  # Slack delivers it again…
    await bot.driver.event(event, event_id="EvStep1-b")  # …even under another event id
    await slack.until(lambda: slack.executions[execution] == "completed" or None, "completed")
    await bot.idle()  # every delivery's job has run
    done = slack.calls_to("functions.completeSuccess")[0]["outputs"]
    assert done["state"] == "added" and done["ticket_url"].endswith("10001")
    assert len(_replies(hostup)) == 1 and "Nightly check failed" in _replies(hostup)[0]
    # someone who may not see the ticket, and a number that does not exist: the same words
    slack.add_user("UBEN", "ben", "Ben", "ben@example.com")
    reasons: list[str] = []
    for who, number in (("UBEN", "10001"), ("UANA", "99999")):
        run = slack.start_execution()
        step = _add_step_event(
            run, provider="hostup", ticket_number=number, text="x", added_by=person(who)
        )
        await bot.driver.event(step, event_id=f"Ev{run}")
        await slack.wait_for("functions.completeError", count=len(reasons) + 1)
        reasons.append(slack.calls_to("functions.completeError")[-1]["error"])
    assert reasons[0].replace("10001", "N") == reasons[1].replace("99999", "N")
    assert len(_replies(hostup)) == 1
    # a bare user id (a builder could type anyone's) ends the step, once however often it comes
    run = slack.start_execution()
    step = _add_step_event(run, provider="hostup", ticket_number="10001", text="x", added_by="UANA")
    await bot.driver.event(step, event_id=f"Ev{run}")
    await bot.driver.event(step, event_id=f"Ev{run}", retry=1)
    await slack.wait_for("functions.completeError", count=3)
    await bot.idle()
    errors = slack.calls_to("functions.completeError")
    assert len(errors) == 3 and "user_context" in errors[-1]["error"]
    assert len(_replies(hostup)) == 1


def test_the_manifest_declares_the_add_step() -> None:
    step = manifest()["functions"][FunctionId.ADD_TO_TICKET]
    assert tuple(step["input_parameters"]["properties"]) == ADD_INPUTS
    assert tuple(step["output_parameters"]["properties"]) == ADD_OUTPUTS


async def test_two_replicas_add_a_message_once(store_at: str) -> None:
    """Both backends: two processes on one database keep one comment and one follower for
    the same message and ticket, however they race."""
    first = await Store.open(store_at)
    second = await Store.open(store_at)
    try:
        ticket = await seed_ticket(first, "10001")
        message = MessageRef(channel_id="C0GENERAL", message_ts="1.000100", thread_ts="1.000100")
        key = add_key(ticket.id, message)
        kept = await asyncio.gather(
            *(
                s.comments.add_comment(key, ticket.id, "body", time.time())
                for s in (first, second) * 3
            )
        )
        assert len([c for c in kept if c is not None]) == 1
        followed = await asyncio.gather(
            *(
                s.threads.follow_thread(ticket.id, "C0GENERAL", "1.000100", user_id="UANA", now=1.0)
                for s in (first, second) * 3
            )
        )
        assert followed.count(True) == 1
        assert await second.threads.ticket_by_followed_thread("C0GENERAL", "1.000100") == ticket
    finally:
        await first.close()
        await second.close()


async def test_the_file_a_ticket_form_offers_add_to_a_ticket_instead(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup, extra="poll_seconds = 3600"))
    await _filed(bot, slack)
    message = slack.post_as_bot("C0GENERAL", {"text": "same problem on db2", "user": "UANA"})
    await bot.driver.interact(shortcut_payload(slack, message))
    view_id = await slack.until(
        lambda: next(
            (v for v, view in slack.views.items() if "add_instead" in json.dumps(view)), None
        ),
        "the form with its offer",
    )
    offer = next(b for b in slack.view(view_id)["blocks"] if b.get("block_id") == BlockId.OFFER)
    await _click_in_modal(bot, view_id, BlockId.OFFER, offer["elements"][0])
    await slack.wait_for_view(BlockId.ADD_TYPED)
    ticket_id = str((await bot.deps.store.tickets.tickets_by_number("T0001", "10001"))[0].id)
    await bot.driver.submit(view_id, {BlockId.ADD_PICK: ticket_id})
    await slack.wait_for_text(view_id, "Added to")
    assert "same problem on db2" in _replies(hostup)[0] and len(hostup.tickets) == 1


async def test_a_refused_comment_leaves_nothing_half_done_and_a_429_is_kept_for_later(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup, extra="poll_seconds = 3600"))
    await _filed(bot, slack)
    record = (await bot.deps.store.tickets.tickets_by_number("T0001", "10001"))[0]
    refused = slack.post_as_bot("C0GENERAL", {"text": "refuse me", "user": "UANA"})
    hostup.fail(status=400, path_contains="/messages")
    view_id = await _add_form(bot, refused)
    await bot.driver.submit(view_id, {BlockId.ADD_TYPED: "hostup 10001"})
    said = await slack.wait_for_text(view_id, "refused the comment")
    assert "Nothing was added" in said
    assert await bot.deps.store.threads.followed_threads(record.id) == []
    assert not [
        m for m in slack.channels["C0GENERAL"].messages if m.get("thread_ts") == refused["ts"]
    ]
    later = slack.post_as_bot("C0GENERAL", {"text": "keep me", "user": "UANA"})
    hostup.fail(status=429, retry_after=60, path_contains="/messages")  # surely not taken
    view_id = await _add_form(bot, later)
    await bot.driver.submit(view_id, {BlockId.ADD_TYPED: "hostup 10001"})
    assert "will send it when it does" in await slack.wait_for_text(view_id, "Saved for")
    kept = await bot.deps.store.comments.comments_of(record.id)
    assert [c.state.value for c in kept] == ["gave_up", "retrying"]
    assert await bot.deps.store.threads.followed_threads(record.id) == [("C0GENERAL", later["ts"])]


async def test_a_locked_database_answers_the_add_submit_in_time(
    postgres_url: str, make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """On a replica that did not open the modal, reading who opened it is a database read:
    it waited for a locked table with no bound (the ack at 10 s, the statement timeout); it
    now draws from the one ack budget and answers "busy" where the person typed."""
    env = {"TICKETBOT_DB": postgres_url}
    opener = await make_bot(hostup_table(hostup), env=env)
    message = slack.post_as_bot("C0GENERAL", {"text": "disk full on db-1", "user": "UANA"})
    view_id = await _add_form(opener, message)
    fresh = await make_bot(hostup_table(hostup), env=env)  # a replica started since
    locker = await asyncpg.connect(postgres_url)
    try:
        await locker.execute("BEGIN; LOCK TABLE modals IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        response = await fresh.driver.submit(view_id, {BlockId.ADD_TYPED: "hostup 10001"})
        acked_in = time.monotonic() - started
    finally:
        await locker.close()
    assert response.status_code == 200 and acked_in < 2.9, acked_in
    assert "database is busy" in json.loads(response.text)["errors"][BlockId.ADD_TYPED]
