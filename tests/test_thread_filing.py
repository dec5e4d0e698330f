"""Filing from a message with a thread (an alert discussed there): the form carries the
conversation (who said what and when, within the description's limit) and offers the
thread's files like the message's; the bot's own messages in the thread are left out."""

from __future__ import annotations

import time
from typing import Any

from tests.alert_sources import message
from tests.conftest import RunningBot
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.slack_driver import shortcut_payload
from tests.test_shortcut import field_value

CHANNEL = "C0GENERAL"


async def test_the_threads_conversation_and_files_come_along(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    slack.add_user("U0ANA", "ana", "Ana A", "ana@example.com")
    slack.add_user("U0BOB", "bob", "Bob B", "bob@example.com")
    t0 = time.time() - 600
    alert = slack.post_as_bot(CHANNEL, message("zabbix", "problem.firing", f"{t0:.6f}"))
    root = alert["ts"]
    dump = slack.add_file("F0DUMP", "df.txt", b"/dev/sdb1 100%\n")
    replies: list[dict[str, Any]] = [
        {"user": "U0ANA", "text": "seeing it on <@U0BOB>'s box too", "ts": f"{t0 + 60:.6f}"},
        {"user": "U0BOB", "text": "*df* says 100%", "ts": f"{t0 + 120:.6f}", "files": [dump]},
        {"bot_id": "BTICKET", "user": "UBOT", "text": "Filed as #1", "ts": f"{t0 + 130:.6f}"},
    ]
    for reply in replies:
        slack.channels[CHANNEL].messages.append({**reply, "thread_ts": root, "type": "message"})
    await hostup_bot.driver.interact(shortcut_payload(slack, alert | {"reply_count": 3}))
    view_id = await slack.wait_for_view("field:files")
    description = field_value(slack.view(view_id), "description") or ""
    assert "Conversation in the thread (2 messages" in description
    assert "@ana: seeing it on @bob's box too" in description
    assert "@bob: df says 100%" in description
    assert "Filed as #1" not in description  # the bot's own card is not the conversation
    assert "Slack message: https://fake.slack.com/archives/C0GENERAL/p" in description
    files = next(b for b in slack.view(view_id)["blocks"] if b["block_id"] == "field:files")
    assert [o["value"] for o in files["element"]["options"]] == ["F0DUMP"]
    await hostup_bot.driver.submit(view_id, {"department": "vps"})
    await slack.wait_for_text(view_id, "#10001")
    (ticket,) = hostup.tickets.values()
    assert "@ana: seeing it on @bob's box too" in ticket["body"]
    assert [a["filename"] for a in ticket["attachments"]] == ["df.txt"]


async def test_a_long_thread_is_cut_to_fit_and_says_so(
    hostup_bot: RunningBot, slack: FakeSlack
) -> None:
    slack.add_user("U0ANA", "ana", "Ana A", "ana@example.com")
    t0 = time.time() - 6000
    alert = slack.post_as_bot(CHANNEL, message("netdata", "cpu.firing", f"{t0:.6f}"))
    for n in range(40):
        slack.channels[CHANNEL].messages.append(
            {
                "user": "U0ANA",
                "text": f"update {n}: " + "x" * 80,
                "ts": f"{t0 + n + 1:.6f}",
                "thread_ts": alert["ts"],
                "type": "message",
            }
        )
    await hostup_bot.driver.interact(shortcut_payload(slack, alert | {"reply_count": 40}))
    view_id = await slack.wait_for_view("field:subject")
    description = field_value(slack.view(view_id), "description") or ""
    assert "Conversation in the thread (40 messages" in description
    assert "@ana: update 0: " in description and "more in the thread)" in description
    assert len(description) <= 3000
