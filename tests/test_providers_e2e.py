"""Every provider end to end through Slack: /ticket → pick → fill → submit → ticket → card."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from tests.conftest import BotFactory
from tests.fakes.server import FakeServer
from tests.fakes.slack_api import FakeSlack
from tests.provider_cases import BY_KIND, CASES, Case, provider_table


@pytest.fixture(params=CASES, ids=[c.kind for c in CASES])
async def case_fake(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Case, FakeServer]]:
    case: Case = request.param
    fake = case.fake()
    await fake.start()
    yield case, fake
    await fake.stop()


async def test_files_through_slack(
    case_fake: tuple[Case, FakeServer], make_bot: BotFactory, slack: FakeSlack
) -> None:
    case, fake = case_fake
    extra = "default_customer_id = 42\n" if case.kind == "billingserv" else ""
    bot = await make_bot(provider_table(case, fake.url, extra=extra), env=case.env)
    await bot.driver.command("")
    view_id = await slack.wait_for_view("field:description")
    typed = {k: v for k, v in case.minimal.items() if isinstance(v, str)}
    response = await bot.driver.submit(view_id, typed)
    assert response.json()["response_action"] == "update", response.text
    card = (await slack.wait_for("chat.postMessage"))[0]
    assert f"ticket #{case.number}" in card["text"]
    assert "filed by <@UANA>" in card["text"]
    sent = json.dumps(case.sent(fake), default=str)
    assert "Filed via Slack by ana" in sent.replace("Ana Admin", "ana")
    await slack.wait_for_text(view_id, f"#{case.number}")


async def test_picker_switches_forms_and_keeps_what_was_typed(
    make_bot: BotFactory, slack: FakeSlack
) -> None:
    hostup_case, vpsbg_case = BY_KIND["hostup"], BY_KIND["vpsbg"]
    hostup_fake, vpsbg_fake = hostup_case.fake(), vpsbg_case.fake()
    await hostup_fake.start()
    await vpsbg_fake.start()
    try:
        bot = await make_bot(
            provider_table(hostup_case, hostup_fake.url)
            + provider_table(vpsbg_case, vpsbg_fake.url),
            env={**hostup_case.env, **vpsbg_case.env},
        )
        await bot.driver.command("")
        (opened,) = await slack.wait_for("views.open")
        picker = opened["view"]
        assert [b["block_id"] for b in picker["blocks"]] == [
            "provider",
            "field:subject",
            "field:description",
        ]
        view_id = next(iter(slack.views))
        typed = {"subject": "Server misbehaves", "description": "Kernel panic on boot"}
        await bot.driver.pick(view_id, "provider", "provider_pick", "vpsbg", typed)
        await slack.wait_for("views.update")
        text = slack.view_text(view_id)
        assert "field:service_id" in text and "Kernel panic on boot" in text
        await bot.driver.submit(view_id, {"department": "Tech support"})
        await slack.wait_for("chat.postMessage")
        (ticket,) = vpsbg_fake.tickets.values()  # type: ignore[attr-defined]
        assert ticket["subject"] == "Server misbehaves"
        assert not hostup_fake.requests
    finally:
        await hostup_fake.stop()
        await vpsbg_fake.stop()


async def test_submitting_without_a_provider_asks_for_one(
    make_bot: BotFactory, slack: FakeSlack
) -> None:
    hostup_case, vpsbg_case = BY_KIND["hostup"], BY_KIND["vpsbg"]
    bot = await make_bot(
        provider_table(hostup_case, "http://127.0.0.1:9")
        + provider_table(vpsbg_case, "http://127.0.0.1:9"),
        env={**hostup_case.env, **vpsbg_case.env},
    )
    await bot.driver.command("")
    await slack.wait_for("views.open")
    response = await bot.driver.submit(next(iter(slack.views)), {"subject": "x"})
    assert response.json() == {
        "response_action": "errors",
        "errors": {"provider": "Pick where the ticket should go."},
    }


async def test_unknown_provider_name_is_the_subject(make_bot: BotFactory, slack: FakeSlack) -> None:
    case = BY_KIND["vpsbg"]
    bot = await make_bot(provider_table(case, "http://127.0.0.1:9"), env=case.env)
    await bot.driver.command("zendesk printer on fire")
    view_id = await slack.wait_for_view("field:subject")
    assert "zendesk printer on fire" in slack.view_text(view_id)


async def test_help(make_bot: BotFactory, slack: FakeSlack) -> None:
    case = BY_KIND["vpsbg"]
    bot = await make_bot(provider_table(case, "http://127.0.0.1:9"), env=case.env)
    await bot.driver.command("help")
    reply = await slack.wait_for_response()
    assert "`/ticket <provider> <subject…>`" in reply["text"]
    assert reply["response_type"] == "ephemeral"
