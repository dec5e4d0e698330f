"""/ticket → modal → HostUp ticket → card in the channel, end to end over loopback."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import RunningBot
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack

FILLED = {"department": "vps", "subject": "db1 unreachable", "description": "Ping fails.",
          "priority": "high", "cc": "ops@example.com, oncall@example.com"}


async def open_form(bot: RunningBot, text: str = "") -> str:
    """Run /ticket and return the id of the modal once it shows the form."""
    response = await bot.driver.command(text)
    assert response.status_code == 200
    assert response.text == ""
    return await bot.slack.wait_for_view("field:subject")


def modal_text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"])


async def test_files_a_ticket_and_posts_the_card(hostup_bot: RunningBot, hostup: FakeHostUp,
                                                 slack: FakeSlack) -> None:
    view_id = await open_form(hostup_bot)
    # departments were not cached: a loading view first, then the form
    assert "Loading" in modal_text(slack.calls_to("views.open")[0]["view"])
    response = await hostup_bot.driver.submit(view_id, FILLED)
    assert response.status_code == 200
    assert response.json()["response_action"] == "update"
    assert "Filing" in modal_text(response.json()["view"])

    card = (await slack.wait_for("chat.postMessage"))[0]
    (ticket,) = hostup.tickets.values()
    sent = [r for r in hostup.requests if r.method == "POST"][0]
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
        " · high · db1 unreachable · filed by <@UANA>")
    final = await slack.wait_for("views.update", count=2)
    assert "#10001" in modal_text(final[-1]["view"])

    record = await hostup_bot.deps.store.ticket(1)
    assert record is not None
    assert (record.number, record.provider_ticket_id) == ("10001", ticket["id"])
    assert record.card_ts == card_ts(slack) and record.channel_id == "C0GENERAL"


def card_ts(slack: FakeSlack) -> str:
    return str(slack.channels["C0GENERAL"].messages[-1]["ts"])
