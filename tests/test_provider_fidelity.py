"""Provider fidelity: send what the docs say, read what they allow, and go on without what
they do not have. One test per defect found reading the adapters against the docs."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.domain.errors import ConfigError, FieldErrors, ProviderAuthError
from bot.domain.tickets import Attachment, Filer, NewTicket, Requester, RequesterSource
from bot.providers.adapter import ATTACHMENTS, CUSTOMER_SEARCH
from bot.providers.billingserv import clean_message, normalise_subject
from bot.providers.registry import REGISTRY
from bot.safe_http import tls_context
from tests.conftest import BotFactory
from tests.fakes.billingserv import FakeBillingServ, has_emoji
from tests.fakes.hostup import FakeHostUp
from tests.fakes.ispcrm import FakeIspCrm
from tests.fakes.slack_api import FakeSlack
from tests.provider_cases import BY_KIND, CASES, provider_table
from tests.test_contract import make_provider

FILER = Filer(team_id="T0001", user_id="UANA", name="Ana", email="nobody@example.com")
BS = BY_KIND["billingserv"]
ROOT = Path(__file__).resolve().parent.parent


def new(values: dict[str, Any], **extra: Any) -> NewTicket:
    return NewTicket(values=values, filer=FILER, **extra)


# --- BillingServ ----------------------------------------------------------------------------------


def test_billingserv_keeps_ordinary_colons_and_words_only_real_emoji() -> None:
    text = "at 10:30:45 ERROR:root:disk on fe80::1:2:3 :fire: :rotating_light: :not_an_emoji:"
    cleaned = clean_message(text)
    for kept in ("10:30:45", "ERROR:root:disk", "fe80::1:2:3", ":not_an_emoji:"):
        assert kept in cleaned
    assert "(fire)" in cleaned and "(rotating light)" in cleaned
    assert not has_emoji(cleaned)


async def test_billingserv_accepts_plain_colons_and_a_200_without_success(
    billing: FakeBillingServ,
) -> None:
    async with httpx.AsyncClient(verify=tls_context()) as client:
        provider = make_provider(BS, billing.url, client, BS.env)
        billing.mangle = lambda body: {k: v for k, v in body.items() if k != "success"}
        values = {**BS.minimal, "description": "Backup at 10:30:45 failed: ERROR:root:disk"}
        ref = await provider.create(
            new(values), Requester(id="42", label="l", source=RequesterSource.LINK)
        )
        assert ref.id
    sent = next(r.body for r in billing.requests if r.path.endswith("/ticket/create"))
    assert "10:30:45" in sent["message"] and "ERROR:root:disk" in sent["message"]


def test_billingserv_normalises_what_autocorrect_types() -> None:
    assert normalise_subject("Customer’s invoice – “wrong”…") == 'Customer\'s invoice - "wrong"...'


async def test_billingserv_curly_quotes_are_not_an_inline_error(billing: FakeBillingServ) -> None:
    async with httpx.AsyncClient(verify=tls_context()) as client:
        provider = make_provider(BS, billing.url, client, BS.env)
        assert provider.check_values({"subject": "Customer’s invoice – wrong"}) == {}
        await provider.create(
            new({**BS.minimal, "subject": "Customer’s invoice – wrong"}),
            Requester(id="42", label="l", source=RequesterSource.LINK),
        )
    sent = next(r.body for r in billing.requests if r.path.endswith("/ticket/create"))
    assert sent["subject"] == "Customer's invoice - wrong"


@pytest.mark.parametrize("status", [404, 403])
async def test_billingserv_without_its_customer_search_files_as_the_default(
    make_bot: BotFactory, billing: FakeBillingServ, slack: FakeSlack, status: int
) -> None:
    """An unreachable customer search (404, or 403 for a key limited to Support) blocked every
    unlinked user, even with default_customer_id set."""
    billing.fail(status=status, times=100, path_contains="/customer/lists")
    slack.add_channel("C0ADMIN", "ticketbot-admin", members={"UBOT"})
    bot = await make_bot(
        provider_table(BS, billing.url, extra="default_customer_id = 42\n"),
        env=BS.env,
        options='admins = ["UANA"]\nadmin_channel = "C0ADMIN"',
    )
    await bot.driver.command("")
    view_id = await slack.wait_for_view("field:subject")
    await slack.wait_for_text(view_id, "Filed as")
    await bot.driver.submit(view_id, {k: str(v) for k, v in BS.minimal.items()})
    await slack.wait_for_text(view_id, ":white_check_mark: Filed")
    sent = next(r.body for r in billing.requests if r.path.endswith("/ticket/create"))
    assert sent["user_id"] == 42
    assert CUSTOMER_SEARCH in bot.deps.providers["billingserv"].features_off
    told = await slack.until(lambda: slack.channels["C0ADMIN"].messages, "the admins")
    assert len(told) == 1 and "customer search" in told[0]["text"]


async def test_check_shows_a_missing_endpoint_as_a_warning(
    tmp_path: Path, billing: FakeBillingServ, slack: FakeSlack
) -> None:
    import asyncio

    from tests.test_operations import run_check

    billing.documented_only = True
    await billing.stop()
    await billing.start()
    done = await asyncio.to_thread(
        run_check, tmp_path, slack, provider_table(BS, billing.url), **BS.env
    )
    lines = done.stdout.splitlines()
    assert any(line.startswith("⚠ provider billingserv: customer search") for line in lines)
    assert any(line.startswith("⚠ provider billingserv: ticket list") for line in lines)
    assert not any(line.startswith("✗ provider billingserv") for line in lines), done.stdout


async def test_check_with_pulse_without_its_ticket_list_warns_and_exits_0(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """Issue #27: Pulse CRM's undocumented GET /tickets answering 404 made ``check`` print ✗
    "answered in a way the bot does not understand" and exit 1."""
    import asyncio

    from tests.test_operations import run_check

    case = BY_KIND["pulse"]
    pulse = case.fake()
    pulse.documented_only = True  # the create call and the login only: GET /tickets is not there
    await pulse.start()
    try:
        done = await asyncio.to_thread(
            run_check, tmp_path, slack, provider_table(case, pulse.url), **case.env
        )
    finally:
        await pulse.stop()
    lines = done.stdout.splitlines()
    assert any(line.startswith("✓ provider pulse (Pulse CRM): logged in") for line in lines)
    assert any(line.startswith("⚠ provider pulse: ticket list") for line in lines), done.stdout
    assert not any(line.startswith("✗") for line in lines), done.stdout
    assert done.returncode == 0


@pytest.mark.parametrize("given", ["²", "٣", "0", "-3", "42a", " 7", ""])
async def test_billingserv_customer_ids_are_parsed_not_guessed(
    billing: FakeBillingServ, given: str
) -> None:
    """Issue #27: "²" passed ``str.isdigit`` and then raised ValueError in ``int``."""
    async with httpx.AsyncClient(verify=tls_context()) as client:
        provider = make_provider(BS, billing.url, client, BS.env)
        assert provider.requester_id_problem(given) == (
            "BillingServ customer ids are whole numbers, like 42."
        )
        requester = Requester(id=given, label=given, source=RequesterSource.LINK)
        ticket = NewTicket(values={"subject": "Hi", "description": "There"}, filer=FILER)
        with pytest.raises(FieldErrors, match="numeric customer id"):
            await provider.create(ticket, requester)
    assert not [r for r in billing.requests if r.method == "POST"]


# --- HostUp ---------------------------------------------------------------------------------------


async def hostup_provider(
    fake: FakeHostUp, client: httpx.AsyncClient, base: str = "/api/v2"
) -> Any:
    case = BY_KIND["hostup"]
    return make_provider(case, fake.url + base.removesuffix("/api/v2"), client, case.env)


async def test_hostup_without_number_files_under_its_id(hostup: FakeHostUp) -> None:
    """A created ticket was reported as a failure when the answer had no `number`."""
    hostup.numberless = True
    async with httpx.AsyncClient(verify=tls_context()) as client:
        provider = await hostup_provider(hostup, client)
        await provider.form()
        ref = await provider.create(
            new(BY_KIND["hostup"].minimal), provider.default_requester(FILER)
        )
    (ticket_id,) = hostup.tickets
    assert ref.id == ticket_id and ref.number == ticket_id


async def test_hostup_base_url_without_api_v2_says_what_it_must_look_like(
    hostup: FakeHostUp,
) -> None:
    from bot.providers.hostup import HostUpConfig, HostUpProvider

    config = HostUpConfig.model_validate(
        {"name": "hostup", "kind": "hostup", "base_url": hostup.url, "api_key_env": "K"},
        context={"env": {"K": "hostup-test-key-3f9a"}},
    )
    async with httpx.AsyncClient(verify=tls_context()) as client:
        provider = HostUpProvider(config, client)
        with pytest.raises(ConfigError) as caught:
            await provider.form()
    assert "must end in /api/v2" in caught.value.message


async def test_hostup_any_2xx_upload_is_attached_and_a_missing_endpoint_turns_files_off(
    hostup: FakeHostUp,
) -> None:
    files = (Attachment(name="db1.log", content=b"log"),)
    async with httpx.AsyncClient(verify=tls_context()) as client:
        provider = await hostup_provider(hostup, client)
        await provider.form()
        hostup.mangle = None
        hostup.fail(status_after=200, path_contains="/support/attachments")
        ref = await provider.create(
            new(BY_KIND["hostup"].minimal, attachments=files), provider.default_requester(FILER)
        )
        assert ref.attached == ("db1.log",)
        hostup.fail(status=404, path_contains="/support/attachments")
        ref = await provider.create(
            new(BY_KIND["hostup"].minimal, attachments=files), provider.default_requester(FILER)
        )
        assert ref.attached == () and "takes no files" in ref.not_attached[0]
        assert ATTACHMENTS in provider.features_off


async def test_hostup_a_service_the_account_does_not_own_is_a_field_error(
    hostup: FakeHostUp,
) -> None:
    async with httpx.AsyncClient(verify=tls_context()) as client:
        provider = await hostup_provider(hostup, client)
        await provider.form()
        hostup.owned_services = {"vps_02"}
        with pytest.raises(FieldErrors) as caught:
            await provider.create(new(BY_KIND["hostup"].full), provider.default_requester(FILER))
        assert "service_id" in caught.value.fields
        hostup.fail(status=403, path_contains="/support/tickets")  # no service: the key
        with pytest.raises(ProviderAuthError):
            await provider.create(new(BY_KIND["hostup"].minimal), provider.default_requester(FILER))


async def test_hostup_fake_holds_to_the_documented_context_rules(hostup: FakeHostUp) -> None:
    base = {"departmentSlug": "vps", "subject": "s", "message": "m"}
    bad = [
        {"serviceType": "vps", "serviceId": "acct_1"},  # prefixed by its type
        {"serviceType": "hosting"},  # an id for non-other types
        {"serviceType": "other", "serviceName": "x", "accountId": "1"},  # unknown keys
        {"serviceType": "vps", "serviceId": "vps_1", "serviceName": "x"},  # name with other only
    ]
    async with httpx.AsyncClient(verify=tls_context()) as client:
        headers = {"Authorization": "Bearer hostup-test-key-3f9a", "Accept": "application/json"}
        for context in bad:
            answer = await client.post(
                f"{hostup.url}/api/v2/support/tickets",
                json={**base, "context": context},
                headers=headers,
            )
            assert answer.status_code == 400, context
        no_accept = await client.post(
            f"{hostup.url}/api/v2/support/tickets",
            json=base,
            headers={"Authorization": headers["Authorization"]},
        )
        assert no_accept.status_code == 406


# --- Pulse, ISPCRM --------------------------------------------------------------------------------


def test_pulse_default_category_must_be_offered(tmp_path: Path, slack: FakeSlack) -> None:
    from bot.settings import load_settings
    from tests.conftest import base_env

    case = BY_KIND["pulse"]
    table = provider_table(case, "https://crm.example.com/api", extra='categories = ["billing"]\n')
    (tmp_path / "ticketbot.toml").write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings({**base_env(tmp_path, slack), **case.env})
    assert "providers.pulse.default_category: must be one of the categories" in caught.value.message


async def test_ispcrm_a_wrong_base_url_is_not_an_unknown_subscriber() -> None:
    case = BY_KIND["ispcrm"]
    fake = FakeIspCrm()
    await fake.start()
    try:
        async with httpx.AsyncClient(verify=tls_context()) as client:
            provider = make_provider(case, fake.url + "/wrong", client, case.env)
            with pytest.raises(ConfigError) as caught:
                await provider.form()
    finally:
        await fake.stop()
    assert "base URL must be the install's API root" in caught.value.message


# --- the registry ---------------------------------------------------------------------------------


def test_every_adapter_module_is_registered_and_has_a_contract_case() -> None:
    """A sixth provider cannot be half-registered."""
    shared = {
        "__init__",
        "adapter",
        "base",
        "cache",
        "config",
        "fields",
        "http",
        "paging",
        "registry",
        "twins",
    }
    modules = {p.stem for p in (ROOT / "bot" / "providers").glob("*.py")} - shared
    adapters = {
        node.name
        for module in modules
        for node in ast.parse((ROOT / "bot" / "providers" / f"{module}.py").read_text()).body
        if isinstance(node, ast.ClassDef) and node.name.endswith("Provider")
    }
    registered = {kind.build.__name__ for kind in REGISTRY.values()}
    assert adapters == registered
    assert len(modules) == len(REGISTRY) == len({c.kind for c in CASES})
    assert set(REGISTRY) == {c.kind for c in CASES}
    for case in CASES:
        assert tomllib.loads(provider_table(case, "https://x.test"))["providers"][case.kind]
