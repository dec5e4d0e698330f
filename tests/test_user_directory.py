"""The profile cache (bot/slack/users.py) stays bounded in a long run, whoever files."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.users import UserDirectory
from tests.fakes.slack_api import BOT_TOKEN, TEAM, FakeSlack


async def test_the_profile_cache_keeps_the_latest_few_and_asks_again_for_the_rest(
    slack: FakeSlack,
) -> None:
    for n in range(5):
        slack.add_user(f"U0P{n}", f"p{n}", f"Person {n}", None)
    users = UserDirectory(AsyncWebClient(token=BOT_TOKEN, base_url=f"{slack.url}/api/"), kept=3)
    for n in range(5):
        assert (await users.filer(TEAM, f"U0P{n}", "?")).name == f"p{n}"
    asked = len(slack.calls_to("users.info"))
    for n in (2, 3, 4):  # the latest three: cached
        await users.filer(TEAM, f"U0P{n}", "?")
    assert len(slack.calls_to("users.info")) == asked
    await users.filer(TEAM, "U0P0", "?")  # the oldest went when the cache was full
    assert len(slack.calls_to("users.info")) == asked + 1
