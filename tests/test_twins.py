"""The twin search on its own: pages since the attempt, the reference, what it cannot tell."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.domain.errors import CannotTell
from bot.domain.tickets import TicketRef
from bot.providers.paging import ListPage, PageRequest
from bot.providers.twins import find_twin

SINCE = 1_800_000_000.0  # 2027-01-15T08:00:00Z
AFTER, BEFORE = "2027-01-15T08:05:00Z", "2027-01-15T07:00:00Z"


async def pages(*lists: list[dict[str, Any]], ends: bool = True) -> AsyncIterator[ListPage]:
    """The lists as pages, each followable; the last one marked last when ``ends``."""
    for n, items in enumerate(lists, 1):
        last = ends and n == len(lists)
        yield ListPage(items, last=last, next=None if n == len(lists) else PageRequest("u", {}))


def ref(item: dict[str, Any]) -> TicketRef:
    return TicketRef(provider="p", id=str(item["id"]), number=str(item["id"]))


async def search(
    *lists: list[dict[str, Any]], reference: str | None = None, ends: bool = True
) -> list[str]:
    found = await find_twin(
        pages(*lists, ends=ends),
        title="P",
        subject="Disk full",
        since=SINCE,
        created_key="createdAt",
        ref_of=ref,
        reference=reference,
    )
    return [r.id for r in found]


def item(n: int, subject: str = "Disk full", at: str | None = AFTER, body: str = "") -> Any:
    return {"id": n, "subject": subject, "createdAt": at, "body": body}


async def test_every_page_since_the_attempt_oldest_first_and_no_further() -> None:
    newer = [item(n, "other") for n in range(100, 200)]
    assert await search(newer, [item(2), item(1)], [item(0, at=BEFORE)], [item(-1)]) == ["1", "2"]


async def test_the_reference_decides_where_the_list_shows_the_text() -> None:
    mine, theirs = "… (ticketbot ref S7)", "… (ticketbot ref S8)"
    listed = [item(3, body=theirs), item(2, "edited by staff", body=mine), item(1)]
    assert await search(listed, reference="S7") == ["2"]  # its own, though the subject changed
    assert await search([item(3, body=theirs), item(1)], reference="S7") == ["1"]  # not S8's


async def test_a_match_without_a_readable_filing_time_cannot_be_told() -> None:
    """An older ticket with the same subject must never be taken for the new one."""
    with pytest.raises(CannotTell):
        await search([item(1, at=None)])
    assert await search([item(1, "other", at="yesterday-ish")]) == []


async def test_not_there_only_when_the_read_reaches_back_past_the_attempt() -> None:
    newer = [item(n, "other") for n in range(100, 200)]
    assert await search(newer, [item(0, "other", at=BEFORE)], ends=False) == []  # reached back
    assert await search(newer) == []  # the provider marked the page as its last
    with pytest.raises(CannotTell, match="cannot follow"):
        await search(newer, ends=False)  # stops, every item newer, not marked last


async def test_an_older_item_proves_nothing_in_a_list_read_oldest_first() -> None:
    oldest_first = [item(0, "other", at=BEFORE), item(1, "other")]
    with pytest.raises(CannotTell):
        await search(oldest_first, ends=False)
