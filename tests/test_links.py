"""Requester mapping and permissions, over loopback: who files as whom, and who may."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from bot.links_cli import import_links, run_links
from bot.settings import Options
from bot.slack.access import Access
from tests.conftest import BotFactory, RunningBot
from tests.fakes.billingserv import FakeBillingServ
from tests.fakes.slack_api import TEAM, FakeSlack
from tests.provider_cases import BY_KIND, provider_table

BS = BY_KIND["billingserv"]
FORM = {"department": "Technical", "subject": "Invoice wrong", "description": "Charged twice"}


@pytest.fixture
async def bot(make_bot: BotFactory, billing: FakeBillingServ, slack: FakeSlack) -> RunningBot:
    slack.add_user("UBOB", "bob", "Bob B", "bob@example.com")
    slack.add_user("UCAROL", "carol", "Carol C", None)  # no e-mail in her profile
    for user in ("UBOB", "UCAROL"):
        slack.channels["C0GENERAL"].members.add(user)
    return await make_bot(provider_table(BS, billing.url), env=BS.env)


async def say(bot: RunningBot, text: str, user: str = "UANA") -> str:
    """Run a /ticket command and return the ephemeral answer."""
    before = len(bot.slack.responses)
    response = await bot.driver.command(text, user=user)
    assert (response.status_code, response.text) == (200, "")
    reply = await bot.slack.wait_for_response(before + 1)
    assert reply["response_type"] == "ephemeral"
    return str(reply["text"])


async def file_ticket(
    bot: RunningBot, billing: FakeBillingServ, user: str, extra: dict[str, str] | None = None
) -> int:
    """File through the modal as ``user``; returns the user_id BillingServ received."""
    await bot.driver.command("", user=user)
    view_id = await bot.slack.wait_for_view("field:subject")
    await bot.slack.wait_for_text(view_id, "Filed as")
    await bot.driver.submit(view_id, {**FORM, **(extra or {})}, user=user)
    await bot.slack.wait_for_text(view_id, ":white_check_mark: Filed")
    sent = [r.body for r in billing.requests if r.path.endswith("/ticket/create")]
    return int(sent[-1]["user_id"])


async def test_admin_links_and_the_ticket_goes_to_that_customer(
    bot: RunningBot, billing: FakeBillingServ
) -> None:
    answer = await say(bot, "link <@UCAROL|carol> billingserv 7")
    assert answer.startswith("Linked <@UCAROL> to BillingServ requester `7`")
    assert await file_ticket(bot, billing, "UCAROL") == 7
    listing = await say(bot, "links <@UCAROL>")
    assert "<@UCAROL> → BillingServ `7` (linked by an admin)" in listing
    assert "Latest change: <@UCAROL> at billingserv: `nothing` → `7` by <@UANA>" in listing


async def test_verified_email_match_is_stored_and_shown(
    bot: RunningBot, billing: FakeBillingServ, slack: FakeSlack
) -> None:
    assert await file_ticket(bot, billing, "UBOB") == 7  # bob@example.com is customer 7
    shown = [json.dumps(c["view"]) for c in slack.calls_to("views.update")]
    assert any("Filed as: BillingServ requester #7 (bob@example.com)" in v for v in shown)
    assert await bot.deps.store.links.requester_link(TEAM, "UBOB", "billingserv") == "7"
    assert "(matched by e-mail)" in await say(bot, "links")


async def test_config_default_when_there_is_no_match(
    make_bot: BotFactory, billing: FakeBillingServ, slack: FakeSlack
) -> None:
    slack.add_user("UCAROL", "carol", "Carol C", None)
    slack.channels["C0GENERAL"].members.add("UCAROL")
    bot = await make_bot(
        provider_table(BS, billing.url, extra="default_customer_id = 42\n"), env=BS.env
    )
    assert await file_ticket(bot, billing, "UCAROL") == 42


async def test_unlinked_user_is_told_who_can_link_them(bot: RunningBot, slack: FakeSlack) -> None:
    await bot.driver.command("", user="UCAROL")
    view_id = await slack.wait_for_view("field:subject")
    text = await slack.wait_for_text(view_id, "not linked")
    assert "/ticket link @you billingserv" in text and "Admins: <@UANA>" in text
    assert "field:file_as" not in text  # only admins may pick the requester


async def test_admin_can_file_on_someones_behalf(
    make_bot: BotFactory, billing: FakeBillingServ, slack: FakeSlack
) -> None:
    bot = await make_bot(provider_table(BS, billing.url), env=BS.env)
    assert await file_ticket(bot, billing, "UANA", {"file_as": "7"}) == 7
    await bot.driver.command("")
    view_id = await slack.wait_for_view("field:file_as")  # the first modal now shows "Filed"
    response = await bot.driver.submit(view_id, {**FORM, "file_as": "seven"})
    assert response.json()["errors"] == {
        "field:file_as": "BillingServ customer ids are whole numbers, like 42."
    }


async def test_a_user_cannot_file_as_someone_elses_requester(
    bot: RunningBot, billing: FakeBillingServ, slack: FakeSlack
) -> None:
    await bot.deps.store.links.set_requester_link(
        team_id=TEAM,
        user_id="UCAROL",
        provider="billingserv",
        requester_id="7",
        source="admin",
        created_by="UANA",
    )
    await bot.driver.command("", user="UCAROL")
    view_id = await slack.wait_for_view("field:subject")
    await slack.wait_for_text(view_id, "Filed as")
    forged = dict(slack.view(view_id))  # add the admin-only block to her payload by hand
    forged["blocks"] = [
        *forged["blocks"],
        {
            "type": "input",
            "block_id": "field:file_as",
            "label": {"type": "plain_text", "text": "File as"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
    ]
    await bot.driver.submit(view_id, {**FORM, "file_as": "42"}, user="UCAROL", view=forged)
    await slack.wait_for_text(view_id, ":white_check_mark: Filed")
    sent = [r.body for r in billing.requests if r.path.endswith("/ticket/create")]
    assert sent[-1]["user_id"] == 7  # her own link, not the forged 42


@pytest.mark.parametrize(
    "command",
    [
        "link <@UCAROL> billingserv 42",
        "link <@UBOB|bob> billingserv 42",
        "unlink <@UANA> billingserv",
        "unlink <@UANA> all",
        "links",
        "links <@UANA>",
    ],
)
async def test_non_admins_are_refused_every_admin_command(bot: RunningBot, command: str) -> None:
    await bot.deps.store.links.set_requester_link(
        team_id=TEAM,
        user_id="UANA",
        provider="billingserv",
        requester_id="42",
        source="admin",
        created_by="UANA",
    )
    answer = await say(bot, command, user="UBOB")
    assert "Only ticketbot admins can" in answer and "admins: <@UANA>" in answer
    assert [
        (link.user_id, link.requester_id) for link in await bot.deps.store.links.links(TEAM)
    ] == [("UANA", "42")]


async def test_whoami_and_unlink_all(bot: RunningBot) -> None:
    await say(bot, "link <@UCAROL> billingserv 7")
    assert "BillingServ: BillingServ requester #7 (linked)" in await say(
        bot, "whoami", user="UCAROL"
    )
    assert "Removed 1 link of <@UCAROL>" in await say(bot, "unlink <@UCAROL> all")
    assert "not linked" in await say(bot, "whoami", user="UCAROL")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("link <@UCAROL> billingserv", "Use `/ticket link @user <provider> <requester id>`."),
        ("link carol billingserv 7", "Use `/ticket link @user <provider> <requester id>`."),
        ("link <@UCAROL> zendesk 7", "No provider called `zendesk`."),
        ("link <@UCAROL> billingserv abc", "BillingServ customer ids are whole numbers"),
    ],
)
async def test_bad_link_commands_say_why(bot: RunningBot, command: str, expected: str) -> None:
    assert expected in await say(bot, command)


async def test_allowed_groups_and_channels(
    make_bot: BotFactory, billing: FakeBillingServ, slack: FakeSlack
) -> None:
    slack.add_user("UBOB", "bob", "Bob B", "bob@example.com")
    slack.add_user("UCAROL", "carol", "Carol C", None)
    slack.groups["S0OPS"] = {"UBOB"}
    slack.add_channel("C0RANDOM", "random", members={"UBOB", "UANA", "UCAROL"})
    bot = await make_bot(
        provider_table(BS, billing.url),
        env=BS.env,
        options=('admins = ["UANA"]\nallowed_groups = ["S0OPS"]\nallowed_channels = ["C0GENERAL"]'),
    )
    await bot.driver.command("", user="UBOB", channel="C0RANDOM")
    refusal = await slack.wait_for_response()
    assert refusal["text"] == "Tickets can be filed only from <#C0GENERAL>."
    await bot.driver.command("", user="UCAROL")
    assert (
        "Only members of <!subteam^S0OPS> can file tickets"
        in (await slack.wait_for_response(2))["text"]
    )
    assert not slack.calls_to("views.open")
    await bot.driver.command("", user="UBOB")  # in the group, in an allowed channel
    await slack.wait_for_view("field:subject")
    await bot.driver.command("", user="UANA", channel="C0RANDOM")  # admins may file anywhere
    await slack.wait_for("views.open", count=2)


async def test_a_hanging_admin_group_look_up_grants_nothing_and_keeps_the_ack_in_time(
    bot: RunningBot, slack: FakeSlack
) -> None:
    slack.groups["S0ADMINS"] = {"UCAROL"}
    access = Access(Options(admin_group="S0ADMINS"), bot.deps.slack)
    slack.fail(delay=5, path_contains="usergroups")  # asked on the ack path (submits)
    started = time.monotonic()
    assert not await access.is_admin("UCAROL")  # fail closed
    assert time.monotonic() - started < 2  # Slack's 3 s for the ack are not spent here
    assert await access.is_admin("UCAROL")  # Slack answers again: the group counts


async def test_links_import_export_and_forget(
    bot: RunningBot, slack: FakeSlack, tmp_path: Path
) -> None:
    csv_text = (
        "slack_user,provider,requester_id\n"
        "UCAROL,billingserv,7\n"
        "bob@example.com,BillingServ,42\n"
        "nobody@example.com,billingserv,3\n"
        "UDAVE,zendesk,9\n"
        "UERIN,billingserv,abc\n"
        "UFRED\n"
    )
    report = await import_links(bot.deps, TEAM, io.StringIO(csv_text))
    assert (report.imported, report.changed) == (2, 2)
    assert report.problems == [
        "line 4: no Slack user 'nobody@example.com'",
        "line 5: no provider called 'zendesk'",
        "line 6: BillingServ customer ids are whole numbers, like 42.",
        "line 7: needs slack user (id or e-mail), provider, requester id",
    ]
    out = io.StringIO()
    assert await run_links(bot.deps, "export", None, out) == 0
    exported = out.getvalue().splitlines()
    assert exported[0] == "slack_user,provider,requester_id,source,created_by,created_at,team"
    assert [row.split(",")[:4] for row in exported[1:]] == [
        ["UBOB", "billingserv", "42", "import"],
        ["UCAROL", "billingserv", "7", "import"],
    ]
    (tmp_path / "links.csv").write_text(out.getvalue(), encoding="utf-8")
    again = io.StringIO()
    assert await run_links(bot.deps, "import", str(tmp_path / "links.csv"), again) == 0
    assert "imported 2 links (0 changed)" in again.getvalue()  # the export round-trips
    forget = io.StringIO()
    await run_links(bot.deps, "forget", "UBOB", forget)
    assert forget.getvalue().startswith("forgot UBOB: 1 links, ")
    assert [link.user_id for link in await bot.deps.store.links.links(TEAM)] == ["UCAROL"]
    assert await bot.deps.store.links.link_changes(TEAM, "UBOB") == []  # the audit forgets too
    assert await bot.deps.store.links.link_changes(TEAM, "UCAROL")


def links_cli(tmp_path: Path, config: str, env_extra: dict[str, str], *args: str) -> Any:
    import os
    import subprocess
    import sys

    (tmp_path / "ticketbot.toml").write_text(config, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bot", "links", *args],
        env={**os.environ, **env_extra, "TICKETBOT_CONFIG": str(tmp_path / "ticketbot.toml")},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


async def test_forget_takes_an_email_and_import_counts_what_it_stored(
    bot: RunningBot, tmp_path: Path
) -> None:
    csv_text = "UCAROL,billingserv,7\nbob@example.com,billingserv,42\nUBOB,billingserv,43\n"
    report = await import_links(bot.deps, TEAM, io.StringIO(csv_text))
    assert (report.imported, report.changed) == (2, 2)  # bob twice: one link stored
    assert report.warnings == ["line 3: repeats line 2 (UBOB, billingserv); the later row is used"]
    assert [link.requester_id for link in await bot.deps.store.links.links(TEAM, "UBOB")] == ["43"]
    out = io.StringIO()
    assert await run_links(bot.deps, "forget", "bob@example.com", out) == 0
    assert out.getvalue().startswith("forgot bob@example.com: 1 links, ")
    assert [link.user_id for link in await bot.deps.store.links.links(TEAM)] == ["UCAROL"]


async def test_links_fail_in_one_line_and_need_slack_only_when_they_must(
    tmp_path: Path, billing: FakeBillingServ, slack: FakeSlack
) -> None:
    import asyncio

    from tests.conftest import base_env
    from tests.processes import free_port

    env = {**base_env(tmp_path, slack), **BS.env}
    config = provider_table(BS, billing.url)
    done = await asyncio.to_thread(links_cli, tmp_path, config, env, "import", "nope.csv")
    assert done.returncode == 2
    assert done.stderr.strip() == "ticketbot: links import: nope.csv does not exist"
    down = {**env, "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/"}
    (tmp_path / "l.csv").write_text("UBOB,billingserv,42\n", encoding="utf-8")
    done = await asyncio.to_thread(links_cli, tmp_path, config, down, "import", "l.csv")
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Slack could not be reached" in lines[0], done.stderr
    for args in (("export",), ("forget", "UBOB")):  # no Slack needed
        done = await asyncio.to_thread(links_cli, tmp_path, config, down, *args)
        assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "nothing is kept about UBOB"
