"""``/ticket list`` and ``/ticket find``: pages of the tickets the bot filed that the asker may
see (the rule of ``/ticket status``), newest first or best match first.

A page is filled from the store in batches, skipping what the asker may not read, so a hidden
ticket neither shows nor leaves a gap that counts it; the cursor says where the next page
starts (a ticket id for lists, an offset into the ranking for searches).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.records import TicketRecord
from bot.store.search import SearchQueries, search_words

PAGE_SIZE = 10
BATCH = 25
MAX_SCANNED = 200  # rows read for one page at most; the rest waits for "Next page"

MayRead = Callable[[TicketRecord], Awaitable[bool]]


class ListKind(StrEnum):
    CHANNEL = "channel"  # open tickets filed from this channel
    MINE = "mine"  # the asker's open tickets, from anywhere
    FIND = "find"  # any ticket whose subject or description has the words


@dataclass(frozen=True)
class TicketQuery:
    kind: ListKind
    team_id: str
    user_id: str
    channel_id: str | None = None
    provider: str | None = None
    words: str = ""


@dataclass(frozen=True)
class Page:
    tickets: tuple[TicketRecord, ...]
    cursor: int | None  # where the next page starts; None: this is the last


class TicketLists:
    def __init__(self, search: SearchQueries) -> None:
        self._search = search

    async def page(
        self,
        query: TicketQuery,
        may_read: MayRead,
        cursor: int | None = None,
        size: int = PAGE_SIZE,
        *,
        paged: bool = True,
    ) -> Page:
        """Up to ``size`` tickets ``may_read`` lets the asker see, from ``cursor`` on.
        ``paged=False``: one page and no next (a picker), so no look for one."""
        found: list[TicketRecord] = []
        scanned = 0
        while scanned < MAX_SCANNED:
            batch = await self._batch(query, cursor)
            for ticket in batch:
                scanned += 1
                cursor = ticket.id if query.kind is not ListKind.FIND else (cursor or 0) + 1
                if await may_read(ticket):
                    found.append(ticket)
                    if len(found) == size:
                        more = paged and await self._batch(query, cursor, limit=1)
                        return Page(tuple(found), cursor if more else None)
            if len(batch) < BATCH:
                return Page(tuple(found), None)
        return Page(tuple(found), cursor)

    async def _batch(
        self, query: TicketQuery, cursor: int | None, limit: int = BATCH
    ) -> list[TicketRecord]:
        search = self._search
        if query.kind is ListKind.FIND:
            return await search.search_tickets(
                query.team_id,
                search_words(query.words),
                provider=query.provider,
                offset=cursor or 0,
                limit=limit,
            )
        return await search.open_tickets(
            query.team_id,
            filed_from=query.channel_id if query.kind is ListKind.CHANNEL else None,
            filed_by=query.user_id if query.kind is ListKind.MINE else None,
            provider=query.provider,
            before_id=cursor,
            limit=limit,
        )
