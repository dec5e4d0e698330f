"""The "File a ticket" message shortcut end to end: prefill from every alert style, the answer
in the alert's thread, and the same alert filed twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BotFactory, RunningBot
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.provider_cases import BY_KIND, provider_table
from tests.slack_driver import shortcut_payload

PAYLOADS = Path(__file__).resolve().parent / "payloads"
STYLES = sorted(PAYLOADS.glob("*.json"))
PRIORITY = {"critical": "urgent", "warning": "medium", "info": "low", None: "medium"}


def alert(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def field_value(view: dict[str, Any], key: str) -> str | None:
    for block in view["blocks"]:
        if block.get("block_id") == f"field:{key}":
            element = block["element"]
            found = (element.get("initial_option") or {}).get("value") or element.get(
                "initial_value"
            )
            return str(found) if found is not None else None
    return None


@pytest.mark.parametrize("path", STYLES, ids=[p.stem for p in STYLES])
async def test_every_alert_style_prefills_the_modal(
    path: Path, hostup_bot: RunningBot, slack: FakeSlack
) -> None:
    message = alert(path.stem)
    slack.add_user("U0ONCALL", "olle", "Olle On-call", "olle@example.com")
    response = await hostup_bot.driver.interact(shortcut_payload(slack, message))
    assert (response.status_code, response.text) == (200, "")
    view_id = await slack.wait_for_view("field:subject")
    view = slack.view(view_id)
    assert field_value(view, "subject") == message["_expect"]["subject"]
    assert field_value(view, "priority") == PRIORITY[message["_expect"]["severity"]]
    description = field_value(view, "description") or ""
    assert "Slack message: https://fake.slack.com/archives/C0GENERAL/p" in description
    assert "Channel: #general" in description
    for raw in ("<http", "<@", "<!", "&amp;"):
        assert raw not in description


async def test_files_from_an_alert_into_its_thread(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    message = alert("datadog")
    slack.add_user("U0ONCALL", "olle", "Olle On-call", "olle@example.com")
    await hostup_bot.driver.interact(shortcut_payload(slack, message))
    view_id = await slack.wait_for_view("field:subject")
    assert "@olle please look" in (field_value(slack.view(view_id), "description") or "")
    await hostup_bot.driver.submit(view_id, {"department": "vps"})
    card = (await slack.wait_for("chat.postMessage"))[0]
    assert card["thread_ts"] == message["ts"]
    sent = next(r.body for r in hostup.requests if r.method == "POST")
    assert sent["subject"] == "[P1] Disk space low on db-1"
    assert sent["priority"] == "urgent"  # P1 → HostUp's highest level that needs no reason
    assert "Host: db-1" in sent["message"]
    final = await slack.wait_for_text(view_id, "#10001")
    assert "see the thread" in final


async def test_reply_in_a_thread_answers_in_the_same_thread(
    hostup_bot: RunningBot, slack: FakeSlack
) -> None:
    root = alert("plain")
    reply = {**root, "ts": "1732351400.000900", "thread_ts": root["ts"]}
    await hostup_bot.driver.interact(shortcut_payload(slack, reply))
    view_id = await slack.wait_for_view("field:subject")
    await hostup_bot.driver.submit(view_id, {"department": "vps"})
    card = (await slack.wait_for("chat.postMessage"))[0]
    assert card["thread_ts"] == root["ts"]


async def test_the_same_alert_filed_twice_is_caught(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    message = alert("alertmanager")
    await hostup_bot.driver.interact(shortcut_payload(slack, message))
    first = await slack.wait_for_view("field:subject")
    await hostup_bot.driver.submit(first, {"department": "vps"})
    await slack.wait_for_text(first, "#10001")
    # the same alert group fires again in a new message: same fingerprint
    again = {**message, "ts": "1732359999.000100"}
    await hostup_bot.driver.interact(shortcut_payload(slack, again))
    opened = await slack.wait_for("views.open", count=2)
    view = opened[-1]["view"]
    text = json.dumps(view)
    assert "Already filed as <https://" not in text or "HostUp ticket #10001" in text
    assert "HostUp ticket #10001" in text and "by <@UANA>" in text and "min ago" in text
    assert "see its thread" in text
    assert view["submit"]["text"] == "File a new ticket"  # the second choice; see below
    second = list(slack.views)[-1]
    await hostup_bot.driver.submit(second, {"department": "vps"})
    await slack.wait_for_text(second, "#10002")
    assert len(hostup.tickets) == 2  # the user chose to file another


async def test_priority_maps_onto_each_providers_words(
    make_bot: BotFactory, slack: FakeSlack
) -> None:
    case = BY_KIND["billingserv"]
    fake = case.fake()
    await fake.start()
    try:
        bot = await make_bot(provider_table(case, fake.url), env=case.env)
        await bot.driver.interact(shortcut_payload(slack, alert("pagerduty")))
        view_id = await slack.wait_for_view("field:subject")
        assert field_value(slack.view(view_id), "priority") == "high"  # not "emergency"
    finally:
        await fake.stop()


async def test_shortcut_in_a_channel_the_bot_cannot_post_in(
    hostup_bot: RunningBot, slack: FakeSlack
) -> None:
    slack.add_channel("G0PRIV", "private-alerts", private=True, members={"UANA"})
    await hostup_bot.driver.interact(shortcut_payload(slack, alert("grafana"), channel="G0PRIV"))
    view_id = await slack.wait_for_view("field:subject")
    await hostup_bot.driver.submit(view_id, {"department": "vps"})
    reply = await slack.wait_for_response()
    assert reply["response_type"] == "ephemeral" and "#10001" in reply["text"]
    assert "Invite me with `/invite @ticketbot`" in reply["text"]


def message_with_files(slack: FakeSlack) -> dict[str, Any]:
    log = slack.add_file("F0LOG", "db1.log", b"ERROR disk full\n" * 10)
    shot = slack.add_file("F0PNG", "graph.png", b"\x89PNG" + b"0" * 3000, "image/png")
    return {**alert("plain"), "files": [log, shot]}


async def test_files_reach_hostup_and_the_thread_says_which(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    from tests.conftest import hostup_table

    bot = await make_bot(
        hostup_table(hostup), options='admins = ["UANA"]\nmax_attachment_mb = 0.002'
    )  # ~2 KB
    await bot.driver.interact(shortcut_payload(slack, message_with_files(slack)))
    view_id = await slack.wait_for_view("field:files")
    files = next(b for b in slack.view(view_id)["blocks"] if b["block_id"] == "field:files")
    assert [o["value"] for o in files["element"]["initial_options"]] == ["F0LOG", "F0PNG"]
    await bot.driver.submit(view_id, {"department": "vps"})
    await slack.wait_for_text(view_id, "#10001")
    (ticket,) = hostup.tickets.values()
    assert [a["filename"] for a in ticket["attachments"]] == ["db1.log"]
    upload = next(r for r in hostup.requests if r.path == "/api/v2/support/attachments")
    assert upload.body["ticketId"] == ticket["id"]
    assert upload.body["file"]["content"].startswith(b"ERROR disk full")
    note = (
        await slack.until(
            lambda: [m for m in slack.calls_to("chat.postMessage") if "Attached" in m["text"]],
            "the files note",
        )
    )[0]
    assert note["thread_ts"] == alert("plain")["ts"]  # the alert's thread, with the card
    assert ":paperclip: Attached to the ticket: db1.log" in note["text"]
    assert "graph.png: 2.9 KB is over the 2.0 KB limit" in note["text"]


async def test_unchecked_files_stay_behind_and_vpsbg_takes_them_in_the_create(
    make_bot: BotFactory, slack: FakeSlack
) -> None:
    case = BY_KIND["vpsbg"]
    fake = case.fake()
    await fake.start()
    try:
        bot = await make_bot(provider_table(case, fake.url), env=case.env)
        await bot.driver.interact(shortcut_payload(slack, message_with_files(slack)))
        view_id = await slack.wait_for_view("field:files")
        view = dict(slack.view(view_id))
        state = fill_checked(view, ["F0PNG"])
        await bot.driver.submit(view_id, {"department": "Tech support"}, view=state)
        await slack.wait_for_text(view_id, "#216")
        sent = next(r for r in fake.requests if r.path == "/v1/support/tickets").body
        assert [f["filename"] for f in sent["attachments[]"]] == ["graph.png"]
    finally:
        await fake.stop()


def fill_checked(view: dict[str, Any], keep: list[str]) -> dict[str, Any]:
    """The view as a user leaves it after unticking every file but ``keep``."""
    blocks = []
    for block in view["blocks"]:
        if block.get("block_id") == "field:files":
            element = dict(block["element"])
            element["initial_options"] = [o for o in element["options"] if o["value"] in keep]
            block = {**block, "element": element}
        blocks.append(block)
    return {**view, "blocks": blocks}


async def test_providers_without_files_and_bots_without_the_scope_say_so(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    from tests.conftest import hostup_table

    slack.scopes.discard("files:read")
    bot = await make_bot(hostup_table(hostup))
    await bot.driver.interact(shortcut_payload(slack, message_with_files(slack)))
    view_id = await slack.wait_for_view("field:files")
    await bot.driver.submit(view_id, {"department": "vps"})
    await slack.wait_for_text(view_id, "#10001")
    note = (
        await slack.until(
            lambda: [m for m in slack.calls_to("chat.postMessage") if "Not attached" in m["text"]],
            "the files note",
        )
    )[0]
    assert "F0LOG: Slack would not share it (missing_scope)" in note["text"]
    assert not next(iter(hostup.tickets.values()))["attachments"]


async def test_a_slow_look_at_what_was_filed_before_still_opens_the_form(
    postgres_url: str, make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Whether someone else's earlier ticket may be shown to this person can take a read of
    the channel's members; when it does not fit the trigger's 3 s, the form opens without the
    notice."""
    slack.add_user("UBEN", "ben", "Ben", "ben@example.com")
    table = provider_table(BY_KIND["hostup"], hostup.url)
    options = "admins = []"
    env = {"TICKETBOT_DB": postgres_url}
    bot = await make_bot(table, env=env, options=options)
    message = alert("alertmanager")
    await bot.driver.interact(shortcut_payload(slack, message))
    first = await slack.wait_for_view("field:subject")
    await bot.driver.submit(first, {"department": "vps"})
    await slack.wait_for_text(first, "#10001")
    fresh = await make_bot(table, env=env, options=options)  # a replica: nothing read yet
    slack.fail(delay=4.0, times=10, path_contains="conversations.members")  # past the trigger
    await fresh.driver.interact(shortcut_payload(slack, message, user="UBEN"))
    await slack.until(lambda: len(slack.views) == 2 or None, "the second modal", within=10)
    second = list(slack.views)[-1]  # opened in time; the form follows in it
    await slack.until(
        lambda: "field:subject" in json.dumps(slack.view(second)) or None, "the form", within=10
    )
    assert "HostUp ticket #10001" not in json.dumps(slack.view(second))
