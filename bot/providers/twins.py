"""Looking for the ticket an unanswered attempt may have filed: every page since the attempt.

Used after a timeout, a reset or a gateway's 5xx on a create, and after a restart that cut an
attempt short. A ticket counts as the twin when its subject is the one sent and it was filed at
or after the attempt (with two minutes for clock skew). The search reads page after page until
a whole page is older than the attempt (lists are read newest first) or there are no more, for
at most ``SEARCH_SECONDS``; cut short, or faced with a matching ticket whose filing time it
cannot read, it says it cannot tell (``CannotTell``) instead of guessing.

Every match is returned, oldest first: a burst of alerts with one subject files many tickets
that all match, and the filing service takes the first one no other submission has recorded.
Where a list shows a ticket's text, the reference every attempt writes into it (``ticketbot
ref S12``) decides instead: that ticket is the one, and one with another reference is not.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from bot.domain.errors import CannotTell
from bot.domain.tickets import TicketRef

SEARCH_SECONDS = 20.0
SKEW_SECONDS = 120.0
TEXT_KEYS = ("body", "message", "description", "content")  # where a list may show the text
REF_MARK = "ticketbot ref "


def _text(item: dict[str, Any]) -> str:
    return " ".join(str(item[key]) for key in TEXT_KEYS if isinstance(item.get(key), str))


def parse_time(value: object) -> float | None:
    """Epoch seconds of an ISO-8601 timestamp (``Z`` or an offset; naive means UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


async def find_twin(
    pages: AsyncIterator[list[Any]],
    *,
    title: str,
    subject: str,
    since: float,
    created_key: str,
    ref_of: Callable[[dict[str, Any]], TicketRef | None],
    reference: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> list[TicketRef]:
    """The candidates from ``pages`` (each a list of the provider's ticket items, with their
    ``subject`` and filing time under ``created_key``) filed since ``since``, oldest first;
    ``CannotTell`` when the list cannot say."""
    deadline = clock() + SEARCH_SECONDS
    found: list[TicketRef] = []
    async for items in pages:
        older = 0
        for item in items:
            if not isinstance(item, dict):
                continue
            when = parse_time(item.get(created_key))
            if when is not None and when < since - SKEW_SECONDS:
                older += 1
                continue
            text = _text(item)
            if reference and f"{REF_MARK}{reference})" in text and (ref := ref_of(item)):
                return [ref]  # NOTE: its own reference: this is the one, whatever else matches
            if item.get("subject") != subject or REF_MARK in text:
                continue  # NOTE: another subject, or another submission's ticket
            if when is None:
                raise CannotTell(
                    f"{title} lists a ticket with this subject but not when it was filed"
                )
            if (ref := ref_of(item)) is not None:
                found.append(ref)
        if items and older == len(items):
            break  # NOTE: newest first: every later page is older still
        if clock() > deadline:
            raise CannotTell(f"{title}'s ticket list was still going after {SEARCH_SECONDS:.0f}s")
    return found[::-1]
