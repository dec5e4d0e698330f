"""Link previews: a ticket link posted where everyone may see the ticket is unfurled (once per
event, however often Slack delivers it); a private channel's ticket is not shown to others,
nor in a channel shared with another organisation; ``ticketbot manifest`` asks for it all."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.cli import main
from bot.manifest import default_manifest, manifest_for
from bot.settings import load_settings
from tests.conftest import BotFactory, RunningBot, base_env, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.test_manifest import SCHEMA
from tests.ticket_seeds import seed_ticket

LINK = "https://cloud.hostup.se/support/tickets/id10001"


async def _shared(
    bot: RunningBot, channel: str, url: str = LINK, *, event_id: str, retry: int | None = None
) -> dict[str, Any]:
    """Post ``url`` in ``channel`` and deliver its ``link_shared``; the message."""
    message = bot.slack.post_as_bot(channel, {"text": f"see <{url}>", "user": "UANA"})
    event = {
        "type": "link_shared",
        "channel": channel,
        "user": "UANA",
        "message_ts": message["ts"],
        "is_bot_user_member": True,
        "links": [{"domain": "cloud.hostup.se", "url": url}],
        "event_ts": f"{time.time():.6f}",
    }
    response = await bot.driver.event(event, event_id=event_id, retry=retry)
    assert response.status_code == 200
    return message


async def _settled(bot: RunningBot) -> None:
    """Every job after an ack has finished (the unfurl's is deferred: it is queued in the lane
    or running in the background from before the event's 200 on)."""
    await bot.idle()


@pytest.fixture
async def bot(make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack) -> RunningBot:
    slack.add_user("UBEN", "ben", "Ben", "ben@example.com")
    slack.channels["C0GENERAL"].members.add("UBEN")
    slack.add_channel("C0SECRET", "secret", private=True, members={BOT_USER, "UANA"})
    slack.add_channel("C0SHARED", "with-acme", members={BOT_USER, "UANA"}, ext_shared=True)
    return await make_bot(hostup_table(hostup, extra="poll_seconds = 3600"), options="")


async def test_a_pasted_link_is_unfurled_once_in_a_public_channel(bot: RunningBot) -> None:
    await seed_ticket(bot.deps.store, "10001", subject="db1 unreachable")
    message = await _shared(bot, "C0GENERAL", event_id="Ev1")
    await bot.slack.until(lambda: bot.slack.unfurls or None, "the unfurl")
    unfurl = bot.slack.unfurls[0]
    assert unfurl["channel"] == "C0GENERAL" and unfurl["ts"] == message["ts"]
    shown = json.dumps(unfurl["unfurls"][LINK])
    for part in ("HostUp #10001", "db1 unreachable", "*open*", "high", "<@UANA>", "filed"):
        assert part in shown
    await bot.driver.event(  # Slack's retry of the same event
        {
            "type": "link_shared",
            "channel": "C0GENERAL",
            "message_ts": message["ts"],
            "links": [{"domain": "cloud.hostup.se", "url": LINK}],
        },
        event_id="Ev1",
        retry=1,
    )
    await _settled(bot)
    assert len(bot.slack.unfurls) == 1
    # a link to no ticket the bot filed, and one from elsewhere: left alone
    await _shared(bot, "C0GENERAL", "https://cloud.hostup.se/support/tickets/id99", event_id="Ev2")
    await _settled(bot)
    assert len(bot.slack.unfurls) == 1


async def test_a_private_channels_ticket_is_not_shown_where_not_everyone_may_see_it(
    bot: RunningBot,
) -> None:
    await seed_ticket(bot.deps.store, "10001", subject="Payroll export", channel="C0SECRET")
    await _shared(bot, "C0GENERAL", event_id="Ev-general")  # Ben is not in #secret
    await _shared(bot, "C0SHARED", event_id="Ev-shared")  # all members may, but shared
    await _settled(bot)
    assert bot.slack.unfurls == []
    await _shared(bot, "C0SECRET", event_id="Ev-secret")  # where it was filed: everyone may
    await bot.slack.until(lambda: bot.slack.unfurls or None, "the unfurl in #secret")
    assert [u["channel"] for u in bot.slack.unfurls] == ["C0SECRET"]


async def test_shared_channels_unfurl_only_when_configured(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    slack.add_channel("C0SHARED", "with-acme", members={BOT_USER, "UANA"}, ext_shared=True)
    bot = await make_bot(
        hostup_table(hostup, extra="poll_seconds = 3600"),
        options="tickets_in_shared_channels = true",
    )
    await seed_ticket(bot.deps.store, "10001", channel="C0SHARED")
    await _shared(bot, "C0SHARED", event_id="Ev-shared")
    await bot.slack.until(lambda: bot.slack.unfurls or None, "the unfurl")


def _settings(tmp_path: Path, slack: FakeSlack, config: str) -> Any:
    (tmp_path / "ticketbot.toml").write_text(config, encoding="utf-8")
    return load_settings(base_env(tmp_path, slack))


def test_the_manifest_asks_for_previews_of_the_configured_hosts(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    settings = _settings(tmp_path, slack, "[ticketbot]\n\n" + hostup_table(hostup))
    data, warnings = manifest_for(settings, default_manifest())
    assert data["features"]["unfurl_domains"] == ["cloud.hostup.se"] and warnings == []
    assert {"links:read", "links:write"} <= set(data["oauth_config"]["scopes"]["bot"])
    assert "link_shared" in data["settings"]["event_subscriptions"]["bot_events"]
    assert [s["callback_id"] for s in data["features"]["shortcuts"]] == [
        "file_ticket",
        "add_to_ticket",
    ]
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft7Validator(schema).iter_errors(data)) == []
    quiet = _settings(
        tmp_path,
        slack,
        '[ticketbot]\nlink_previews = false\nfile_emoji = ""\n\n' + hostup_table(hostup),
    )
    data, _ = manifest_for(quiet, default_manifest())
    scopes, events = data["oauth_config"]["scopes"]["bot"], data["settings"]["event_subscriptions"]
    assert "unfurl_domains" not in data["features"]
    assert not {"links:read", "links:write", "reactions:read"} & set(scopes)
    assert not {"link_shared", "reaction_added"} & set(events["bot_events"])


def test_ticketbot_manifest_prints_it(
    tmp_path: Path,
    slack: FakeSlack,
    hostup: FakeHostUp,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "ticketbot.toml").write_text("[ticketbot]\n\n" + hostup_table(hostup))
    for key, value in base_env(tmp_path, slack).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SLACK_BOT_TOKEN")  # the manifest comes before the app's tokens
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    monkeypatch.chdir(tmp_path)  # and no .env here
    assert main(["manifest"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# The Slack app manifest") and "- cloud.hostup.se" in out
