"""Looking for the ticket an unanswered attempt may have filed: every page since the attempt.

Used after a timeout, a reset or a gateway's 5xx on a create, and after a restart that cut an
attempt short. A ticket counts as the twin when its subject is the one sent and it was filed at
or after the attempt (with two minutes for clock skew).

Absence is proven, not assumed: the search says "not there" only when what it read reaches
back past the attempt: an item older than the attempt in a list read newest first (the order
is checked, not assumed), or a page the provider marks as the last (``bot.providers.paging``
follows each paging convention). A page limit (``MAX_PAGES``), a time limit
(``SEARCH_SECONDS``), paging it cannot follow, a list that stops without saying it is the
last, or a matching ticket whose filing time it cannot read: it cannot tell (``CannotTell``),
and the filer decides.

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
from bot.providers.paging import ListPage, UnreadableList

SEARCH_SECONDS = 20.0
MAX_PAGES = 100  # at 100 a page, ten thousand tickets newer than the attempt
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
    pages: AsyncIterator[ListPage],
    *,
    title: str,
    subject: str,
    since: float,
    created_key: str,
    ref_of: Callable[[dict[str, Any]], TicketRef | None],
    reference: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> list[TicketRef]:
    """The candidates from ``pages`` (each holding the provider's ticket items, with their
    ``subject`` and filing time under ``created_key``) filed since ``since``, oldest first;
    ``CannotTell`` unless what was read reaches back past the attempt."""
    deadline = clock() + SEARCH_SECONDS
    found: list[TicketRef] = []
    newest_first = True  # NOTE: the order is documented nowhere; it is checked as we read
    latest: float | None = None
    read = 0
    try:
        async for page in pages:
            read += 1
            reached_back = False
            for item in page.items:
                if not isinstance(item, dict):
                    continue
                when = parse_time(item.get(created_key))
                if when is not None:
                    newest_first = newest_first and (latest is None or when <= latest)
                    latest = when
                if when is not None and when < since - SKEW_SECONDS:
                    reached_back = True
                    continue
                text = _text(item)
                if reference and f"{REF_MARK}{reference})" in text and (ref := ref_of(item)):
                    return [ref]  # NOTE: its own reference: this is the one, whatever else
                if item.get("subject") != subject or REF_MARK in text:
                    continue  # NOTE: another subject, or another submission's ticket
                if when is None:
                    raise CannotTell(
                        f"{title} lists a ticket with this subject but not when it was filed"
                    )
                if (ref := ref_of(item)) is not None:
                    found.append(ref)
            if page.last or (reached_back and newest_first):
                return found[::-1]  # NOTE: read back past the attempt: absence is proven
            if page.next is None:
                raise CannotTell(
                    f"{title}'s ticket list goes on in a way the bot cannot follow, and what it"
                    " read does not reach back to the attempt"
                )
            if read >= MAX_PAGES or clock() > deadline:
                raise CannotTell(
                    f"{title}'s ticket list was still going after {read} pages; what it read"
                    " does not reach back to the attempt"
                )
    except UnreadableList as exc:
        raise CannotTell(f"{title}'s ticket list could not be read ({exc})") from exc
    raise CannotTell(f"{title}'s ticket list ended without saying it was the last page")
