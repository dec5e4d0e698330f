"""Channel routes: checked at start (one line per problem), the form opened with the route's
provider and defaults in its channel, and ``/ticket help`` saying which route applies."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.domain.errors import ConfigErrors
from bot.providers.registry import build_provider
from bot.settings import load_settings
from bot.tickets.routing import check_routes
from tests.conftest import BotFactory, base_env, hostup_table
from tests.fakes.billingserv import FakeBillingServ
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.flows import open_form
from tests.processes import start_bot
from tests.provider_cases import BY_KIND, provider_table
from tests.test_shortcut import field_value

OPS = "C0OPS"


def write_route(tmp_path: Path, hostup: FakeHostUp, defaults: str, timeout: float = 1.0) -> None:
    """A providers file with HostUp and one route for C0OPS with ``defaults`` (TOML)."""
    (tmp_path / "ticketbot.toml").write_text(
        hostup_table(hostup, timeout=timeout)
        + f'[[routes]]\nchannels = ["{OPS}"]\nprovider = "hostup"\ndefaults = {defaults}\n',
        encoding="utf-8",
    )


async def route_problems(tmp_path: Path, slack: FakeSlack) -> tuple[list[str], list[str]]:
    settings = load_settings(base_env(tmp_path, slack))
    async with httpx.AsyncClient() as http:
        providers = {n: build_provider(c, http) for n, c in settings.providers.items()}
        problems, unchecked = await check_routes(settings.routes, providers)
    return [p.message for p in problems], unchecked


def settings_problems(tmp_path: Path, slack: FakeSlack, toml: str) -> list[str]:
    (tmp_path / "ticketbot.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigErrors) as caught:
        load_settings({**base_env(tmp_path, slack), "HOSTUP_API_KEY": "k"})
    return [p.message for p in caught.value.problems]


HOSTUP = (
    '[providers.hostup]\nkind = "hostup"\nbase_url = "https://h.example/api/v2"\n'
    'api_key_env = "HOSTUP_API_KEY"\n'
)


def test_route_shape_errors_name_the_key(tmp_path: Path, slack: FakeSlack) -> None:
    problems = settings_problems(
        tmp_path,
        slack,
        HOSTUP
        + '[[routes]]\nchannels = ["C0OPS", "general"]\nprovider = "hostpu"\n'
        + '[[routes]]\nchannels = ["C0OPS"]\nprovider = "hostup"\non_emoji = "maybe"\n'
        + '[[routes]]\nchannels = ["C0OPS"]\nprovider = "hostup"\n',
    )
    assert problems == [
        "config error: routes[0].provider: no [providers.hostpu] table (did you mean hostup?); "
        "one of: hostup",
        "config error: routes[0].channels[1]: not a Slack channel id (C… or G…: at the bottom of "
        "the channel's details)",
        "config error: routes[1].on_emoji: input should be 'form' or 'file'",
        "config error: routes[2].channels[0]: C0OPS is in routes[0] already; a channel belongs "
        "to one route",
    ]


async def test_defaults_are_checked_against_the_providers_form(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    write_route(tmp_path, hostup, '{ department = "vpz", colour = "red", priority = "high" }')
    problems, unchecked = await route_problems(tmp_path, slack)
    assert problems == [
        "config error: routes[0].defaults.department: 'vpz' is not one of HostUp's department "
        "values: general-web-hosting, vps, billing",
        "config error: routes[0].defaults.colour: HostUp's form has no field 'colour'; it has "
        "department, subject, description, priority, critical_reason, service_type, service_id, cc",
    ]
    assert unchecked == []


async def test_a_provider_that_does_not_answer_leaves_its_defaults_unchecked(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    hostup.fail(status=503, times=10, path_contains="/departments")
    write_route(tmp_path, hostup, '{ department = "x" }', timeout=0.5)
    assert await route_problems(tmp_path, slack) == ([], ["hostup"])


async def test_a_routed_channel_opens_its_provider_with_the_defaults(
    make_bot: BotFactory, hostup: FakeHostUp, billing: FakeBillingServ, slack: FakeSlack
) -> None:
    case = BY_KIND["billingserv"]
    slack.add_channel(OPS, "ops", members={BOT_USER, "UANA"})
    routes = (
        f'[[routes]]\nchannels = ["{OPS}"]\nprovider = "hostup"\n'
        'defaults = { department = "billing", priority = "high" }\n'
    )
    bot = await make_bot(
        hostup_table(hostup) + provider_table(case, billing.url), env=case.env, routes=routes
    )
    view_id = await open_form(bot, channel=OPS)
    view = slack.view(view_id)
    picker = next(b for b in view["blocks"] if b.get("block_id") == "provider")
    assert picker["element"]["initial_option"]["value"] == "hostup"
    assert field_value(view, "department") == "billing"
    assert field_value(view, "priority") == "high"
    await bot.driver.submit(view_id, {"subject": "Fan noise", "description": "Loud"})
    await slack.wait_for("chat.postMessage")
    sent = next(r.body for r in hostup.requests if r.method == "POST")
    assert (sent["departmentSlug"], sent["priority"]) == ("billing", "high")

    await bot.driver.command("help", channel=OPS)
    helped = await slack.wait_for_response()
    assert "This channel routes to *HostUp*" in helped["text"]
    assert "department = billing" in helped["text"]
    await bot.driver.command("help")
    elsewhere = await slack.wait_for_response(2)
    assert "This channel has no route" in elsewhere["text"]


async def test_ticketbot_run_refuses_a_route_default_the_form_does_not_take(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    write_route(tmp_path, hostup, '{ department = "vpz" }')
    bot = await start_bot(tmp_path, slack, {}, healthy=False)
    code, log = await bot.exited()
    lines = [line for line in log.splitlines() if not line.startswith("{")]
    assert code == 2
    assert lines == [
        "ticketbot: config error: routes[0].defaults.department: 'vpz' is not one of HostUp's "
        "department values: general-web-hosting, vps, billing"
    ]
