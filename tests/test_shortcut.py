"""The "File a ticket" message shortcut: prefilled modal, answer in the message's thread."""

from __future__ import annotations

from tests.conftest import RunningBot
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.slack_driver import shortcut_payload

ALERT = {
    "type": "message",
    "ts": "1732350000.000100",
    "user": "UALERT",
    "text": "*[FIRING:1] DiskFull* on <https://grafana.example.com/d/1|db1> &amp; <!channel>\n"
    "Disk usage is 97% on /var/lib/postgresql",
}


async def test_shortcut_prefills_and_answers_in_the_thread(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    response = await hostup_bot.driver.interact(shortcut_payload(slack, ALERT))
    assert (response.status_code, response.text) == (200, "")
    view_id = await slack.wait_for_view("field:subject")
    text = slack.view_text(view_id)
    assert "[FIRING:1] DiskFull* on db1 (https://grafana.example.com/d/1) & @channel" in text
    await hostup_bot.driver.submit(view_id, {"department": "vps"})
    card = (await slack.wait_for("chat.postMessage"))[0]
    assert card["thread_ts"] == ALERT["ts"]
    body = next(r for r in hostup.requests if r.method == "POST").body["message"]
    assert "Disk usage is 97%" in body
    assert "https://fake.slack.com/archives/C0GENERAL/p1732350000000100" in body


async def test_shortcut_on_a_reply_answers_in_the_same_thread(
    hostup_bot: RunningBot, slack: FakeSlack
) -> None:
    reply = {**ALERT, "ts": "1732350100.000200", "thread_ts": ALERT["ts"]}
    await hostup_bot.driver.interact(shortcut_payload(slack, reply))
    view_id = await slack.wait_for_view("field:subject")
    await hostup_bot.driver.submit(view_id, {"department": "vps"})
    card = (await slack.wait_for("chat.postMessage"))[0]
    assert card["thread_ts"] == ALERT["ts"]
