"""Proof of absence over every paging convention a ticket list may use (tests/fakes/paging.py):
each listing adapter, over real HTTP, finds its own ticket beneath 120 newer ones, says "not
there" only when what it read reaches back past the attempt, and cannot tell (never a twin)
where the paging cannot be followed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.domain.errors import CannotTell
from bot.domain.tickets import NewTicket, Requester, RequesterSource
from bot.providers.base import Provider, SupportsRecentLookup
from bot.safe_http import tls_context
from tests.conftest import RunningBot
from tests.fakes.hostup import FakeHostUp
from tests.fakes.paging import CONVENTIONS
from tests.fakes.server import FakeServer
from tests.fakes.slack_api import FakeSlack
from tests.flows import open_form
from tests.provider_cases import BY_KIND, Case
from tests.test_contract import FILER, make_provider
from tests.test_durable import FILLED

LISTING = ("hostup", "pulse", "billingserv")
FOLLOWABLE = [c for c in CONVENTIONS if c not in ("stuck", "foreign")]
NEWER = 120


def at(seconds_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat()


class Rig:
    def __init__(self, case: Case, fake: FakeServer, provider: Provider) -> None:
        self.case, self.fake, self.provider = case, fake, provider
        requester = (
            Requester(id=case.link, label="linked", source=RequesterSource.LINK)
            if case.link
            else provider.default_requester(FILER)
        )
        assert requester is not None
        self.requester = requester

    def ticket(self, subject: str, reference: str) -> NewTicket:
        values = {**self.case.minimal, "subject": subject}
        return NewTicket(values=values, filer=FILER, reference=reference)

    async def file_beneath(self, subject: str, *, older: int, newer: int) -> float:
        """The bot's attempt, with ``older`` tickets before it and ``newer`` after it in the
        provider's list; the attempt's time."""
        since = time.time()
        await self.provider.create(self.ticket(subject, "S1"), self.requester)
        tickets: dict[Any, dict[str, Any]] = self.fake.tickets  # type: ignore[attr-defined]
        ((own_key, own),) = tickets.items()
        created_key = self.provider.created_key  # type: ignore[attr-defined]

        def copy(n: int, when: str) -> tuple[Any, dict[str, Any]]:
            key = f"tkt_{n:026d}" if isinstance(own_key, str) else 100_000 + n
            text = {k: "" for k in ("description", "body", "messages") if k in own}
            return key, {**own, **text, "id": key, "subject": f"other {n}", created_key: when}

        tickets.clear()
        tickets.update(copy(n, at(3600)) for n in range(older))
        tickets[own_key] = own
        tickets.update(copy(n, at(0)) for n in range(older, older + newer))
        return since

    async def find(self, subject: str, since: float, reference: str = "S1") -> list[str]:
        assert isinstance(self.provider, SupportsRecentLookup)
        found = await self.provider.find_recent(
            self.ticket(subject, reference), self.requester, since=since
        )
        return [ref.id for ref in found]

    def list_reads(self) -> int:
        return len([r for r in self.fake.requests if r.method == "GET"])


@pytest.fixture(params=LISTING)
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    case = BY_KIND[request.param]
    fake = case.fake()
    await fake.start()
    async with httpx.AsyncClient(verify=tls_context()) as client:
        yield Rig(case, fake, make_provider(case, fake.url, client, case.env))
    await fake.stop()


@pytest.mark.parametrize("convention", FOLLOWABLE)
async def test_the_attempt_is_found_beneath_newer_tickets_in_every_convention(
    rig: Rig, convention: str
) -> None:
    rig.fake.paging = convention  # type: ignore[attr-defined]
    since = await rig.file_beneath("Disk full", older=30, newer=NEWER)
    own = [str(k) for k, t in rig.fake.tickets.items() if t["subject"] == "Disk full"]  # type: ignore[attr-defined]
    assert await rig.find("Disk full", since) == own


@pytest.mark.parametrize("convention", FOLLOWABLE)
async def test_not_there_when_the_list_is_read_to_its_end_in_every_convention(
    rig: Rig, convention: str
) -> None:
    """Nothing older than the attempt: only the page marked last proves absence."""
    rig.fake.paging = convention  # type: ignore[attr-defined]
    since = await rig.file_beneath("Disk full", older=0, newer=NEWER)
    assert await rig.find("Never sent", since, reference="S2") == []


@pytest.mark.parametrize("convention", ["stuck", "foreign"])
async def test_paging_that_cannot_be_followed_cannot_tell(rig: Rig, convention: str) -> None:
    rig.fake.paging = convention  # type: ignore[attr-defined]
    since = await rig.file_beneath("Disk full", older=30, newer=NEWER)
    with pytest.raises(CannotTell):
        await rig.find("Disk full", since)
    hosts = {r.headers.get("Host") for r in rig.fake.requests}
    assert not [h for h in hosts if h and "elsewhere" in h]  # the token stayed home


@pytest.mark.parametrize(
    ("convention", "card"), [("pages", "HostUp ticket #"), ("stuck", "Unsure")]
)
async def test_one_process_an_unanswered_create_beneath_120_newer_tickets(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack, convention: str, card: str
) -> None:
    """The issue's single-process case: a create went out unanswered, 120 tickets were filed
    after it, HostUp pages with a pagination object. Followed: found, not filed twice; paging
    that cannot be followed: unsure (the filer decides), never a twin."""
    hostup.paging = convention
    view_id = await open_form(hostup_bot)
    hostup.fail(delay_after=1.5, method="POST", path_contains="/support/tickets")
    await hostup_bot.driver.submit(view_id, {**FILLED, "subject": "db1 unreachable"})
    await slack.until(lambda: hostup.tickets, "the create")
    for n in range(NEWER):
        hostup.seed(f"other {n}", at(0))
    await slack.until(
        lambda: [m for m in slack.channels["C0GENERAL"].messages if card in str(m["text"])],
        f"a card saying {card!r}",
        within=10,
    )
    assert len(hostup.tickets) == 1 + NEWER  # never a twin
