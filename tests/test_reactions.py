"""Filing by emoji: the button that opens the prefilled form, filing at once in a route, the
same message never filed twice, bots and removals ignored, permissions as for /ticket."""

from __future__ import annotations

import asyncio
import json
import time

from tests.alert_sources import firing
from tests.conftest import BotFactory, RunningBot, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_driver import EventsDriver
from tests.test_shortcut import field_value

ALERTS = "C0ALERTS"
FILE_AT_ONCE = (
    f'[[routes]]\nchannels = ["{ALERTS}"]\nprovider = "hostup"\n'
    'defaults = { department = "vps", priority = "high" }\non_emoji = "file"\n'
)


def alerts_channel(slack: FakeSlack) -> None:
    slack.add_channel(ALERTS, "alerts", members={BOT_USER, "UANA", "UBOB"})
    slack.add_user("UBOB", "bob", "Bob Builder", "bob@example.com")


async def test_the_emoji_offers_the_prefilled_form_in_the_thread(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    events = EventsDriver(hostup_bot.driver)
    message = slack.post_as_bot("C0GENERAL", firing("datadog", f"{time.time() - 60:.6f}"))
    response = await events.reaction("UANA", "C0GENERAL", message["ts"])
    assert (response.status_code, response.text) == (200, "")
    prompt = (await slack.wait_for("chat.postEphemeral"))[0]
    assert prompt["user"] == "UANA"
    button = prompt["blocks"][-1]["elements"][0]
    response_url = slack.response_url()
    await events.click(button["action_id"], button["value"], response_url=response_url)
    view_id = await slack.wait_for_view("field:subject")
    assert field_value(slack.view(view_id), "subject") == "High CPU usage on host:web-1"
    await slack.until(lambda: slack.responses, "the prompt deleted")
    assert slack.responses[0] == {"delete_original": True}
    await hostup_bot.driver.submit(view_id, {"department": "vps"})
    card = (await slack.wait_for("chat.postMessage"))[0]
    assert card["thread_ts"] == message["ts"]


async def test_a_forged_button_opens_nothing(hostup_bot: RunningBot, slack: FakeSlack) -> None:
    events = EventsDriver(hostup_bot.driver)
    message = slack.post_as_bot("C0GENERAL", firing("datadog", f"{time.time() - 60:.6f}"))
    await events.click("file_from_reaction", f"forged.C0GENERAL|{message['ts']}")
    text = await slack.until(
        lambda: (
            [c for c in slack.calls_to("chat.postMessage") if "verified" in str(c["text"])]
            or [r for r in slack.responses if "verified" in str(r.get("text"))]
        ),
        "the refusal",
    )
    assert text
    assert not slack.views


async def test_a_route_files_at_once_and_only_once(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    alerts_channel(slack)
    bot = await make_bot(hostup_table(hostup), routes=FILE_AT_ONCE)
    events = EventsDriver(bot.driver)
    message = slack.post_as_bot(ALERTS, firing("alertmanager", f"{time.time() - 60:.6f}"))
    await events.reaction("UBOB", ALERTS, message["ts"])
    card = (await slack.wait_for("chat.postMessage"))[0]
    assert card["channel"] == ALERTS and card["thread_ts"] == message["ts"]
    assert "filed by <@UBOB>" in card["text"]
    sent = next(r.body for r in hostup.requests if r.method == "POST")
    assert sent["departmentSlug"] == "vps" and sent["priority"] == "high"
    assert sent["subject"] == "InstanceDown api-1.example.com:9100 (node critical)"

    await events.reaction("UANA", ALERTS, message["ts"])  # someone else reacts too
    told = await slack.wait_for("chat.postEphemeral", user="UANA")
    assert "Already filed as" in told[0]["text"] and "#10001" in told[0]["text"]
    await events.reaction("UBOB", ALERTS, message["ts"], event_id="EvAgain")  # same person again
    await events.reaction("UBOB", ALERTS, message["ts"], kind="reaction_removed")
    await bot.idle()
    assert len([r for r in hostup.requests if r.method == "POST"]) == 1
    assert len(slack.calls_to("chat.postEphemeral")) == 1


async def test_a_route_that_cannot_file_at_once_offers_the_form_with_the_reason(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    alerts_channel(slack)
    routes = f'[[routes]]\nchannels = ["{ALERTS}"]\nprovider = "hostup"\non_emoji = "file"\n'
    bot = await make_bot(hostup_table(hostup), routes=routes)
    events = EventsDriver(bot.driver)
    message = slack.post_as_bot(ALERTS, firing("grafana", f"{time.time() - 60:.6f}"))
    await events.reaction("UBOB", ALERTS, message["ts"])
    prompt = (await slack.wait_for("chat.postEphemeral"))[0]
    shown = json.dumps(prompt["blocks"])
    assert "Not filed at once" in shown and "Department" in shown
    assert not [r for r in hostup.requests if r.method == "POST"]


async def test_bots_reactions_other_emoji_and_disallowed_channels(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    alerts_channel(slack)
    slack.add_bot_user("UOTHERBOT", "otherbot")
    slack.channels[ALERTS].members.add("UOTHERBOT")
    options = 'admins = ["UANA"]\nallowed_channels = ["C0GENERAL"]'
    bot = await make_bot(hostup_table(hostup), options=options, routes=FILE_AT_ONCE)
    events = EventsDriver(bot.driver)
    message = slack.post_as_bot(ALERTS, firing("alertmanager", f"{time.time() - 60:.6f}"))
    await events.reaction("UOTHERBOT", ALERTS, message["ts"])
    await events.reaction("UBOB", ALERTS, message["ts"], reaction="eyes")
    await events.reaction("UBOB", ALERTS, message["ts"])
    told = (await slack.wait_for("chat.postEphemeral"))[0]
    assert told["user"] == "UBOB" and "<#C0GENERAL>" in told["text"]  # where, as a link
    await bot.idle()
    assert len(slack.calls_to("chat.postEphemeral")) == 1
    assert not [r for r in hostup.requests if r.method == "POST"]


async def test_file_emoji_off(make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack) -> None:
    bot = await make_bot(hostup_table(hostup), options='admins = ["UANA"]\nfile_emoji = ""')
    events = EventsDriver(bot.driver)
    message = slack.post_as_bot("C0GENERAL", firing("datadog", f"{time.time() - 60:.6f}"))
    await events.reaction("UANA", "C0GENERAL", message["ts"], reaction="")
    await events.reaction("UANA", "C0GENERAL", message["ts"])
    await bot.idle()
    assert not slack.calls_to("chat.postEphemeral")


async def test_the_reactions_job_gives_way_to_a_modal_its_turn_after(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Answering an emoji is work nobody stares at: with the lane's one slot held by a modal's
    job (its views.open held by Slack), the reaction's job waits for the slot, reading nothing
    meanwhile; at a modal's priority it would take a slot at once and read the message."""
    bot = await make_bot(hostup_table(hostup), options='admins = ["UANA"]\nbackground_slots = 1')
    events = EventsDriver(bot.driver)
    message = slack.post_as_bot("C0GENERAL", firing("datadog", f"{time.time() - 60:.6f}"))

    def asked(method: str) -> list[int]:
        return [n for n, (_, path) in enumerate(slack.seen) if path.startswith(f"/api/{method}")]

    opened = asyncio.Event()
    slack.fail(hold=opened, path_contains="views.open")
    try:
        await bot.driver.command("")
        await slack.until(lambda: asked("views.open"), "the modal's views.open, held")
        await events.reaction("UANA", "C0GENERAL", message["ts"])
        await slack.until(
            lambda: bot.deps.lane.queued or asked("conversations.history"),
            "the reaction's job queued, or reading the message",
        )
        assert not asked("conversations.history")  # it waits for the modal's slot
    finally:
        opened.set()
    await slack.wait_for("chat.postEphemeral")  # its turn came once the modal opened
    assert asked("views.open")[0] < asked("conversations.history")[0]
