"""/ticket → modal → HostUp ticket → card in the channel, end to end over loopback."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import BotFactory, RunningBot, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.flows import modal_text, open_form

FILLED = {
    "department": "vps",
    "subject": "db1 unreachable",
    "description": "Ping fails.",
    "priority": "high",
    "cc": "ops@example.com, oncall@example.com",
}


async def test_files_a_ticket_and_posts_the_card(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    view_id = await open_form(hostup_bot)
    # departments were not cached: a loading view first, then the form
    assert "Loading" in modal_text(slack.calls_to("views.open")[0]["view"])
    response = await hostup_bot.driver.submit(view_id, FILLED)
    assert response.status_code == 200
    assert response.json()["response_action"] == "update"
    assert "Filing" in modal_text(response.json()["view"])

    card = (await slack.wait_for("chat.postMessage"))[0]
    (ticket,) = hostup.tickets.values()
    sent = next(r for r in hostup.requests if r.method == "POST")
    assert sent.headers["Authorization"] == "Bearer hostup-test-key-3f9a"
    assert sent.body["departmentSlug"] == "vps"
    assert sent.body["priority"] == "high"
    assert sent.body["ccEmails"] == ["ops@example.com", "oncall@example.com"]
    assert sent.body["message"].startswith("Ping fails.")
    assert "Filed via Slack by ana" in sent.body["message"]
    assert "criticalReason" not in sent.body and "accountId" not in sent.body

    assert card["channel"] == "C0GENERAL"
    assert card["text"] == (
        "<https://cloud.hostup.se/support/tickets/" + ticket["id"] + "|HostUp ticket #10001>"
        " · high · db1 unreachable · filed by <@UANA>"
    )
    final = await slack.wait_for("views.update", count=2)
    assert "#10001" in modal_text(final[-1]["view"])

    record = await hostup_bot.deps.store.tickets.ticket(1)
    assert record is not None
    assert (record.number, record.provider_ticket_id) == ("10001", ticket["id"])
    assert record.card_ts == card_ts(slack) and record.channel_id == "C0GENERAL"


def card_ts(slack: FakeSlack) -> str:
    return str(slack.channels["C0GENERAL"].messages[-1]["ts"])


async def test_inline_errors_before_anything_is_sent(
    hostup_bot: RunningBot, hostup: FakeHostUp
) -> None:
    view_id = await open_form(hostup_bot)
    response = await hostup_bot.driver.submit(
        view_id,
        {
            **FILLED,
            "priority": "critical",
            "cc": "ops@example.com, not-an-email",
            "service_type": "vps",
        },
    )
    assert response.json() == {
        "response_action": "errors",
        "errors": {
            "field:critical_reason": "Critical tickets need a reason: the customer impact.",
            "field:cc": "Not an e-mail address: not-an-email",
            "field:service_id": "Give the linked service's ID.",
        },
    }
    assert not [r for r in hostup.requests if r.method == "POST"]


async def test_critical_with_reason_and_linked_service_reach_hostup(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    view_id = await open_form(hostup_bot)
    await hostup_bot.driver.submit(
        view_id,
        {
            **FILLED,
            "priority": "critical",
            "critical_reason": "All customers are down",
            "service_type": "vps",
            "service_id": "vps_01hx",
        },
    )
    await slack.wait_for("chat.postMessage")
    sent = next(r for r in hostup.requests if r.method == "POST").body
    assert sent["criticalReason"] == "All customers are down"
    assert sent["context"] == {"serviceType": "vps", "serviceId": "vps_01hx"}


async def test_provider_field_errors_come_back_on_the_fields_with_the_draft(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    view_id = await open_form(hostup_bot)
    hostup.departments.pop(1)  # "vps" disappears between opening the form and submitting
    await hostup_bot.driver.submit(view_id, FILLED)
    final = await slack.wait_for("views.update", count=2)
    text = modal_text(final[-1]["view"])
    assert "Unknown department." in text
    assert "error:department" in text
    # the draft is kept: every typed value is back in the form
    assert "db1 unreachable" in text and "Ping fails." in text
    await hostup_bot.idle()
    assert not hostup.tickets and not slack.calls_to("chat.postMessage")


async def test_resubmitting_after_a_rejection_files_once(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    view_id = await open_form(hostup_bot)
    hostup.fail(status=400, path_contains="/support/tickets")
    await hostup_bot.driver.submit(view_id, FILLED)
    await slack.wait_for("views.update", count=2)
    await hostup_bot.driver.submit(view_id, FILLED)
    await slack.wait_for("chat.postMessage")
    assert len(hostup.tickets) == 1


async def test_double_click_files_one_ticket(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    view_id = await open_form(hostup_bot)
    form = dict(slack.view(view_id))
    hostup.latency = 0.2
    first = await hostup_bot.driver.submit(view_id, FILLED)
    second = await hostup_bot.driver.submit(view_id, FILLED)
    assert first.status_code == second.status_code == 200
    await slack.wait_for("chat.postMessage")
    await slack.wait_for("views.update", count=2)
    assert len(hostup.tickets) == 1
    assert len(slack.calls_to("chat.postMessage")) == 1
    late = await hostup_bot.driver.submit(view_id, FILLED, view=form)  # a late duplicate
    assert "already filed" in modal_text(late.json()["view"])


async def test_bad_credentials_tell_admins_which(
    make_bot: Any, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    from tests.conftest import hostup_table

    hostup.keys = {"hostup-test-key-3f9a": frozenset({"read:account"})}  # no write:support
    bot = await make_bot(hostup_table(hostup))
    view_id = await open_form(bot)
    await bot.driver.submit(view_id, FILLED)
    final = await slack.wait_for("views.update", count=2)
    text = modal_text(final[-1]["view"])
    assert "credentials lack a permission" in text
    assert "For admins:" in text and "write:support" in text  # UANA is an admin
    assert "hostup-test-key-3f9a" not in json.dumps(slack.calls_to("views.update"))


async def test_non_admins_do_not_see_the_admin_detail(
    make_bot: Any, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    from tests.conftest import hostup_table

    slack.add_user("UBOB", "bob", "Bob", "bob@example.com")
    slack.channels["C0GENERAL"].members.add("UBOB")
    bot = await make_bot(hostup_table(hostup), env={"HOSTUP_API_KEY": "wrong-key"})
    # regression: a listener failing within bolt's 10 ms ack poll made bolt answer 404 after 3 s
    response = await bot.driver.command("", user="UBOB")
    assert (response.status_code, response.text) == (200, "")
    await slack.wait_for("views.open")  # "Loading…", then the departments look-up fails
    final = await slack.wait_for("views.update")
    text = modal_text(final[-1]["view"])
    assert "credentials were refused" in text and "For admins" not in text


async def test_subject_words_jump_to_the_provider(hostup_bot: RunningBot, slack: FakeSlack) -> None:
    view_id = await open_form(hostup_bot, "HostUp disk full on <!channel> db1")
    text = slack.view_text(view_id)
    assert "disk full on @channel db1" in text  # Slack's escaped mention, made plain


async def test_forms_open_at_once_once_lookups_are_cached(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    await open_form(hostup_bot)
    hostup.latency = 2.5  # a slow provider must not delay the next modal
    await hostup_bot.driver.command("")
    opened = await slack.wait_for("views.open", count=2, within=1.0)
    assert "field:department" in modal_text(opened[-1]["view"])
    assert not slack.rejected


async def test_card_lands_after_joining_a_public_channel(
    hostup_bot: RunningBot, slack: FakeSlack
) -> None:
    slack.add_channel("C0OPS", "ops", members={"UANA"})
    view_id = await open_form(hostup_bot, channel="C0OPS")
    await hostup_bot.driver.submit(view_id, FILLED)
    await slack.wait_for("chat.postMessage", channel="C0OPS")
    assert [c["channel"] for c in slack.calls_to("conversations.join")] == ["C0OPS"]
    assert slack.channels["C0OPS"].messages


async def test_private_channel_falls_back_to_an_ephemeral_reply(
    hostup_bot: RunningBot, slack: FakeSlack
) -> None:
    slack.add_channel("G0SECRET", "secret", private=True, members={"UANA"})
    view_id = await open_form(hostup_bot, channel="G0SECRET")
    await hostup_bot.driver.submit(view_id, FILLED)
    final = await slack.wait_for("views.update", count=2)
    assert "#10001" in modal_text(final[-1]["view"])
    assert "/invite @ticketbot" in modal_text(final[-1]["view"])
    (reply,) = slack.responses
    assert reply["response_type"] == "ephemeral" and "#10001" in reply["text"]
    assert not slack.channels["G0SECRET"].messages


async def test_user_text_is_escaped_in_the_card(hostup_bot: RunningBot, slack: FakeSlack) -> None:
    view_id = await open_form(hostup_bot)
    await hostup_bot.driver.submit(view_id, {**FILLED, "subject": "<!channel> & <@U999|x>"})
    card = (await slack.wait_for("chat.postMessage"))[0]
    assert "&lt;!channel&gt; &amp; &lt;@U999|x&gt;" in card["text"]
    assert "<!channel>" not in json.dumps(card["blocks"])


async def test_admin_channel_hears_of_a_config_problem_once(
    make_bot: Any, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    from tests.conftest import hostup_table

    slack.add_channel("C0ADMIN", "ticketbot-admin", members={"UBOT"})
    bot = await make_bot(
        hostup_table(hostup),
        env={"HOSTUP_API_KEY": "wrong-key"},
        options='admins = ["UANA"]\nadmin_channel = "C0ADMIN"',
    )
    for _ in range(3):
        await bot.driver.command("")
    await slack.wait_for("views.update", count=3)
    alerts = slack.channels["C0ADMIN"].messages
    assert len(alerts) == 1
    assert "needs an admin" in alerts[0]["text"] and "401" in alerts[0]["text"]


async def test_a_submit_after_a_restart_still_files(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """A deploy empties the form cache while modals are open: their submits must still file."""
    before = await make_bot(hostup_table(hostup))
    view_id = await open_form(before)
    after = await make_bot(hostup_table(hostup))  # a new process: nothing cached
    looked_up = len(hostup.requests)
    response = await after.driver.submit(view_id, FILLED)
    assert "Filing" in modal_text(response.json()["view"])
    assert hostup.requests[looked_up].method == "GET"  # the form, looked up again
    await slack.wait_for("chat.postMessage")
    assert len(hostup.tickets) == 1


async def test_a_provider_silent_after_a_restart_keeps_what_was_typed(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    before = await make_bot(hostup_table(hostup))
    view_id = await open_form(before)
    after = await make_bot(hostup_table(hostup))
    hostup.latency = 2.0
    response = await after.driver.submit(view_id, FILLED)
    body = response.json()
    assert body["response_action"] == "errors"  # the modal stays, with the user's text in it
    assert "HostUp did not answer in time" in next(iter(body["errors"].values()))
    assert not hostup.tickets
