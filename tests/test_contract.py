"""The adapter contract, run against every provider's fake: the same errors mean the same thing.

Each test drives the real adapter over loopback HTTP and asserts on what the fake received. It
runs twice per provider: against the full fake, and against a strict stand-in with only the
endpoints the create call's doc names, where each other feature reports itself off and filing
still works.
"""

from __future__ import annotations

import gc
import logging
import re
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.domain.errors import (
    FeatureMissing,
    FieldErrors,
    ProviderAuthError,
    ProviderProtocolError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    TicketbotError,
)
from bot.domain.forms import FieldValue
from bot.domain.tickets import Filer, NewTicket, Requester, RequesterSource, TicketRef
from bot.providers.adapter import REPLIES, STATUS
from bot.providers.base import Provider, SupportsReply, SupportsStatus
from bot.providers.registry import REGISTRY, build_provider
from bot.safe_http import tls_context
from bot.tickets.forms import check_form
from tests.fakes.server import FakeServer
from tests.provider_cases import CASES, Case, provider_table

FILER = Filer(team_id="T0001", user_id="UANA", name="Ana Admin", email="ana@example.com")


@dataclass
class Rig:
    case: Case
    fake: FakeServer
    provider: Provider
    requester: Requester
    documented_only: bool


def make_provider(
    case: Case,
    url: str,
    client: httpx.AsyncClient,
    env: dict[str, str],
    extra: str = "timeout_seconds = 0.5\n",
) -> Provider:
    table = tomllib.loads(provider_table(case, url, extra=extra))["providers"][case.kind]
    config = REGISTRY[case.kind].config.model_validate(
        {**table, "name": case.kind}, context={"env": env}
    )
    return build_provider(config, client)


MODES = [(case, strict) for case in CASES for strict in (False, True)]


@pytest.fixture(params=MODES, ids=[f"{c.kind}{'-documented-only' if s else ''}" for c, s in MODES])
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    case, strict = request.param
    fake = case.fake()
    fake.documented_only = strict
    await fake.start()
    async with httpx.AsyncClient(verify=tls_context()) as client:
        provider = make_provider(case, fake.url, client, case.env)
        requester = (
            Requester(id=case.link, label="linked", source=RequesterSource.LINK)
            if case.link
            else provider.default_requester(FILER)
        )
        assert requester is not None
        yield Rig(case, fake, provider, requester, strict)
    await fake.stop()


def as_submitted(provider: Provider, values: dict[str, FieldValue]) -> dict[str, FieldValue]:
    """``values`` plus the defaults the modal preselects, as Slack would submit them."""
    form = provider.cached_form()
    assert form is not None
    return {**{f.key: f.default for f in form.fields if f.default}, **values}


def ticket(values: dict[str, FieldValue]) -> NewTicket:
    return NewTicket(values=values, filer=FILER, permalink="https://fake.slack.com/archives/C1/p1")


async def test_minimal_ticket(rig: Rig) -> None:
    form = await rig.provider.form()
    values = as_submitted(rig.provider, rig.case.minimal)
    assert not check_form(form, values)  # the case is what a user could submit
    ref = await rig.provider.create(ticket(values), rig.requester)
    assert ref.number == rig.case.number and ref.provider == rig.case.kind and ref.id
    sent = str(rig.case.sent(rig.fake))
    assert "Filed via Slack by Ana Admin" in sent
    assert "https://fake.slack.com/archives/C1/p1" in sent


async def test_answers_are_freed_without_the_cyclic_collector(rig: Rig) -> None:
    """Filing leaves no reference cycles behind: the collector's pauses would land on acks."""
    await rig.provider.form()
    values = as_submitted(rig.provider, rig.case.minimal)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        await rig.provider.form()
        await rig.provider.create(ticket(values), rig.requester)
        gc.collect()
        left = {type(o).__module__.split(".")[0] for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert not left & {"httpx", "httpcore"}


async def test_full_ticket(rig: Rig) -> None:
    form = await rig.provider.form()
    values = as_submitted(rig.provider, rig.case.full)
    assert not check_form(form, values) and not rig.provider.check_values(values)
    ref = await rig.provider.create(ticket(values), rig.requester)
    assert ref.number == rig.case.number


class _ClaimGone(Exception):
    """What a ``before_send`` hook raises when the create must not leave (filing's fence)."""


async def test_before_send_runs_as_the_create_leaves_and_can_stop_it(rig: Rig) -> None:
    """``create(..., before_send=...)``: the hook is awaited once, right before the create
    request leaves; when it raises, the create never leaves and the exception comes through."""
    await rig.provider.form()
    values = as_submitted(rig.provider, rig.case.minimal)
    seen: list[int] = []

    async def mark() -> None:
        seen.append(len(rig.fake.requests))

    await rig.provider.create(ticket(values), rig.requester, before_send=mark)
    assert len(seen) == 1
    leaving = rig.fake.requests[seen[0]]
    assert leaving.method == "POST" and leaving.body == rig.case.sent(rig.fake)

    async def lost() -> None:
        raise _ClaimGone

    before = len(rig.fake.requests)
    with pytest.raises(_ClaimGone):
        await rig.provider.create(ticket(values), rig.requester, before_send=lost)
    assert not [r for r in rig.fake.requests[before:] if r.method == "POST"]


async def test_provider_rejection_lands_on_the_field(rig: Rig) -> None:
    with pytest.raises(FieldErrors) as caught:
        await rig.provider.create(ticket(rig.case.rejected), rig.requester)
    if rig.case.rejected_key is None:
        assert caught.value.general and not caught.value.fields
    else:
        assert rig.case.rejected_key in caught.value.fields


async def test_refused_credentials_are_an_admin_error(rig: Rig) -> None:
    async with httpx.AsyncClient(verify=tls_context()) as client:
        provider = make_provider(
            rig.case, rig.fake.url, client, {**rig.case.env, **rig.case.bad_env}
        )
        with pytest.raises(ProviderAuthError) as caught:
            await provider.create(ticket(rig.case.minimal), rig.requester)
    assert "credentials" in caught.value.message or "token" in caught.value.message
    assert caught.value.admin_detail


@pytest.mark.parametrize(
    ("status", "error"),
    [(403, ProviderAuthError), (500, ProviderUnavailable), (503, ProviderUnavailable)],
)
async def test_status_codes_map_the_same_way(
    rig: Rig, status: int, error: type[TicketbotError]
) -> None:
    await rig.provider.form()  # look-ups (and logins) first, so the failure hits the create
    rig.fake.fail(status=status, path_contains=rig.case.create_path)
    with pytest.raises(error):
        await rig.provider.create(ticket(rig.case.minimal), rig.requester)


async def test_rate_limit_carries_its_wait(rig: Rig) -> None:
    await rig.provider.form()
    rig.fake.fail(status=429, retry_after=7, path_contains=rig.case.create_path)
    with pytest.raises(RateLimited) as caught:
        await rig.provider.create(ticket(rig.case.minimal), rig.requester)
    assert caught.value.retry_after == 7


async def test_late_answer_may_have_created(rig: Rig) -> None:
    await rig.provider.form()
    rig.fake.fail(delay_after=1.0, path_contains=rig.case.create_path)
    with pytest.raises(ProviderTimeout) as caught:
        await rig.provider.create(ticket(rig.case.minimal), rig.requester)
    assert caught.value.maybe_created


async def test_dropped_connection_may_have_created(rig: Rig) -> None:
    await rig.provider.form()
    rig.fake.fail(drop=True, path_contains=rig.case.create_path)
    with pytest.raises(ProviderTimeout) as caught:
        await rig.provider.create(ticket(rig.case.minimal), rig.requester)
    assert caught.value.maybe_created


async def test_unreachable_provider_is_unavailable(rig: Rig) -> None:
    await rig.fake.stop()
    async with httpx.AsyncClient(verify=tls_context()) as client:
        provider = make_provider(rig.case, rig.fake.url, client, rig.case.env)
        with pytest.raises((ProviderUnavailable, ProviderTimeout)) as caught:
            await provider.create(ticket(rig.case.minimal), rig.requester)
    assert not getattr(caught.value, "maybe_created", False)


async def test_missing_required_answer_field_is_a_clear_error(rig: Rig) -> None:
    await rig.provider.form()

    def strip_numbers(body: object) -> object:
        if isinstance(body, dict):
            return {
                k: strip_numbers(v)
                for k, v in body.items()
                if k not in ("id", "number", "ticketNumber", "ticket_id")
            }
        return body

    rig.fake.mangle = strip_numbers
    with pytest.raises(ProviderProtocolError) as caught:
        await rig.provider.create(ticket(rig.case.minimal), rig.requester)
    assert "lacks" in caught.value.admin_detail


async def test_secrets_never_reach_logs_or_errors(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts = []
    await rig.provider.create(ticket(rig.case.minimal), rig.requester)
    for status in (400, 403, 429, 500):  # 401: see test_refused_credentials_are_an_admin_error
        rig.fake.fail(status=status, path_contains=rig.case.create_path)
        with pytest.raises(TicketbotError) as caught:
            await rig.provider.create(ticket(rig.case.minimal), rig.requester)
        texts += [str(caught.value), getattr(caught.value, "admin_detail", "")]
    everything = caplog.text + "\n".join(texts)
    for secret in rig.case.secrets:
        assert secret not in everything


async def test_status_and_replies_where_documented(rig: Rig) -> None:
    ref = await rig.provider.create(ticket(rig.case.minimal), rig.requester)
    if isinstance(rig.provider, SupportsStatus):
        try:
            status = await rig.provider.get(ref)
        except FeatureMissing:
            assert rig.documented_only and STATUS in rig.provider.features_off
        else:
            assert status.status.lower() in ("open", "opened") and not status.closed
    if isinstance(rig.provider, SupportsReply):
        try:
            await rig.provider.reply(ref, "Ana Admin: rebooted, still failing")
        except FeatureMissing:
            assert rig.documented_only and REPLIES in rig.provider.features_off
        else:
            assert "rebooted, still failing" in str(rig.fake.requests[-1].body)
    if not rig.documented_only:
        assert not rig.provider.features_off
    assert rig.case.kind not in ("hostup", "billingserv", "pulse", "vpsbg") or isinstance(
        rig.provider, SupportsReply
    )


async def test_unknown_ticket_reference_is_not_a_crash(rig: Rig) -> None:
    if not isinstance(rig.provider, SupportsStatus):
        pytest.skip("no documented status endpoint")
    with pytest.raises(TicketbotError):
        await rig.provider.get(TicketRef(provider=rig.case.kind, id="999999", number="999999"))
    if not rig.documented_only:  # an unknown ticket is not a missing endpoint
        assert STATUS not in rig.provider.features_off


CONFIGURATION_DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


async def test_every_form_field_is_documented_as_a_route_default(rig: Rig) -> None:
    """docs/configuration.md lists the keys a route's ``defaults`` may set, per provider."""
    form = await rig.provider.form()
    docs = CONFIGURATION_DOC.read_text(encoding="utf-8")
    table = docs.split("| kind | `defaults` keys |", 1)[1].split("\n\n", 1)[0]
    row = next(line for line in table.splitlines() if line.startswith(f"| `{rig.case.kind}` |"))
    documented = set(re.findall(r"`([a-z_]+)`", row.split("|")[2]))
    assert {field.key for field in form.fields} <= documented
