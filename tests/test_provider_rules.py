"""Each provider's documented traps, tested on what the provider received."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from bot.domain.errors import FieldErrors, ProviderAuthError
from bot.domain.tickets import NewTicket, Requester, RequesterSource
from bot.providers.base import Provider
from bot.providers.billingserv import clean_message
from bot.safe_http import tls_context
from tests.fakes.billingserv import FakeBillingServ, has_emoji
from tests.fakes.ispcrm import PASSWORD, USERNAME, FakeIspCrm
from tests.fakes.pulse import FakePulse
from tests.fakes.vpsbg import FakeVpsbg
from tests.provider_cases import BY_KIND
from tests.test_contract import FILER, make_provider

LINKED = Requester(id="42", label="linked", source=RequesterSource.LINK)


def new(values: dict[str, str]) -> NewTicket:
    return NewTicket(values=dict(values), filer=FILER)


def test_billingserv_message_loses_emoji_and_html() -> None:
    cleaned = clean_message("Disk 🔥 :fire: <b>now</b> & <script>x()</script>\n\nThanks 👍🏽")
    assert not has_emoji(cleaned)
    assert "(fire)" in cleaned and "&lt;script&gt;" in cleaned and "<script>" not in cleaned
    assert cleaned.startswith("<p>") and cleaned.count("<p>") == 2


async def test_billingserv_subject_rule_is_checked_inline_and_by_the_fake() -> None:
    fake = FakeBillingServ()
    await fake.start()
    try:
        async with httpx.AsyncClient(verify=tls_context()) as client:
            provider = make_provider(
                BY_KIND["billingserv"], fake.url, client, BY_KIND["billingserv"].env
            )
            assert "subject" in provider.check_values({"subject": "Disk full 🔥 on db1"})
            assert not provider.check_values({"subject": "Invoice #12: wrong (again)!"})
            with pytest.raises(FieldErrors) as caught:
                await provider.create(
                    new({"department": "Billing", "subject": "a 🔥", "description": "d"}), LINKED
                )
            assert "subject" in caught.value.fields
            ref = await provider.create(
                new({"department": "Billing", "subject": "ok", "description": "d"}), LINKED
            )
            sent = fake.requests[-1].body
            assert sent["user_id"] == 42 and isinstance(sent["user_id"], int)
            assert ref.number == "501"
    finally:
        await fake.stop()


async def test_pulse_logs_in_once_and_again_on_401() -> None:
    fake = FakePulse()
    await fake.start()
    try:
        async with httpx.AsyncClient(verify=tls_context()) as client:
            case = BY_KIND["pulse"]
            provider: Provider = make_provider(case, fake.url, client, case.env)
            requester = provider.default_requester(FILER)
            assert requester is not None
            values = {"subject": "s", "description": "d", "category": "billing"}
            await provider.create(new(values), requester)
            await provider.create(new(values), requester)
            assert fake.logins == 1  # the token is cached
            fake.expire_tokens()
            await provider.create(new(values), requester)
            assert fake.logins == 2  # refused once, logged in again, succeeded
            sent = fake.requests[-1]
            assert sent.headers["x-account-id"] == "2311"
            assert sent.body["requesterType"] == "user"
            assert sent.body["requesterId"] == "ana@example.com"
            assert sent.body["source"] == "api" and sent.body["tags"] == ["slack"]
            assert "requesterName" not in sent.body  # only `external` takes it
    finally:
        await fake.stop()


async def test_pulse_external_requesters_send_name_and_email() -> None:
    fake = FakePulse()
    await fake.start()
    try:
        async with httpx.AsyncClient(verify=tls_context()) as client:
            case = BY_KIND["pulse"]
            provider = make_provider(
                case, fake.url, client, case.env, extra='requester_type = "external"\n'
            )
            requester = provider.default_requester(FILER)
            assert requester is not None
            await provider.create(
                new({"subject": "s", "description": "d", "category": "billing"}), requester
            )
            sent = fake.requests[-1].body
            assert (sent["requesterName"], sent["requesterEmail"]) == (
                "Ana Admin",
                "ana@example.com",
            )
    finally:
        await fake.stop()


async def test_ispcrm_sends_configured_ids_and_renews_a_subscriber_login() -> None:
    fake = FakeIspCrm()
    await fake.start()
    try:
        async with httpx.AsyncClient(verify=tls_context()) as client:
            case = BY_KIND["ispcrm"]
            login = replace(
                case,
                table=lambda url: case.table(url).replace(
                    'token_env = "ISP_TOKEN"',
                    'username_env = "ISP_USER"\npassword_env = "ISP_PASS"',
                ),
            )
            provider = make_provider(
                login, fake.url, client, {"ISP_USER": USERNAME, "ISP_PASS": PASSWORD}
            )
            form = await provider.form()
            topic = form.field("subject_id")
            assert topic is not None
            assert [c.label for c in topic.choices] == ["Technical Support", "Billing Issue"]
            fake.expire_tokens()
            requester = provider.default_requester(FILER)
            assert requester is not None
            ref = await provider.create(
                new(
                    {
                        "subject_id": "2",
                        "subject": "Charged twice",
                        "description": "Since May",
                        "priority": "high",
                        "type": "request",
                    }
                ),
                requester,
            )
            sent = fake.requests[-1].body
            assert sent == {
                "subject_id": 2,
                "type_id": 2,
                "status_id": 1,
                "priority_id": 3,
                "group_id": 1,
                "message": sent["message"],
            }
            assert sent["message"].startswith("Charged twice\n\nSince May")
            assert ref.number == "101"
            assert [r.path for r in fake.requests].count("/api/v1/subscriber/Login") == 2
    finally:
        await fake.stop()


async def test_ispcrm_unknown_subscriber_is_an_admin_error() -> None:
    fake = FakeIspCrm(subscriber_exists=False)
    await fake.start()
    try:
        async with httpx.AsyncClient(verify=tls_context()) as client:
            case = BY_KIND["ispcrm"]
            provider = make_provider(case, fake.url, client, case.env)
            with pytest.raises(ProviderAuthError) as caught:
                await provider.form()
            assert "Subscriber not found" in caught.value.admin_detail
    finally:
        await fake.stop()


async def test_vpsbg_sends_multipart_with_accept_json() -> None:
    fake = FakeVpsbg()
    await fake.start()
    try:
        async with httpx.AsyncClient(verify=tls_context()) as client:
            case = BY_KIND["vpsbg"]
            provider = make_provider(case, fake.url, client, case.env)
            requester = provider.default_requester(FILER)
            assert requester is not None
            await provider.create(
                new(
                    {
                        "department": "Tech support",
                        "subject": "Hello",
                        "description": "World!",
                        "service_type": "server",
                        "service_id": "2747",
                    }
                ),
                requester,
            )
            sent = fake.requests[-1]
            assert sent.headers["Content-Type"].startswith("multipart/form-data")
            assert sent.headers["Accept"] == "application/json"
            assert sent.body["department_id"] == "2" and sent.body["service_id"] == "2747"
            assert provider.check_values({"service_type": "server"}) == {
                "service_id": "Give both the related service's type and its ID, or neither."
            }
    finally:
        await fake.stop()
