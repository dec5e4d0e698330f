"""Listing and finding filed tickets: a channel's or a person's open tickets, newest first, and
full-text search over subject and description with each engine's own index (SQLite FTS5,
PostgreSQL ``tsvector``; migration 10 keeps both filled by a trigger)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.records import TicketRecord
from bot.store.database import Database, Repository
from bot.store.tickets import _ticket

WORD = re.compile(r"\w+")
MAX_WORDS = 12  # a search is a few words; more only slows the index down
MAX_WORD = 40


def search_words(text: str) -> list[str]:
    """The words of a search, lower-cased, bounded, de-duplicated, in order: only letters and
    digits reach either engine's query syntax, so no text can break or widen it."""
    words: list[str] = []
    for match in WORD.finditer(text[:1000]):
        word = match.group().lower()[:MAX_WORD]
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]


@dataclass(frozen=True)
class FullText:
    """How one engine matches and ranks ``ticket_search``: any word matches; more of them,
    and in the subject, rank higher."""

    join: str
    match: str
    rank: str  # ascending: best first
    any_of: str  # what joins the words of a query
    quoted: bool = False

    def query(self, words: list[str]) -> str:
        return self.any_of.join(f'"{w}"' if self.quoted else w for w in words)


SQLITE_FULL_TEXT = FullText(
    join="ticket_search JOIN tickets ON tickets.id = ticket_search.rowid",
    match="ticket_search MATCH ?",
    rank="bm25(ticket_search, 4.0, 1.0)",  # NOTE: bm25 is lower for better matches
    any_of=" OR ",
    quoted=True,
)
POSTGRES_FULL_TEXT = FullText(
    join="ticket_search JOIN tickets ON tickets.id = ticket_search.ticket_id",
    match="ticket_search.doc @@ to_tsquery('english', ?)",
    rank="-ts_rank(ticket_search.doc, to_tsquery('english', ?))",
    any_of=" | ",
)


class SearchQueries(Repository):
    def __init__(self, db: Database, full_text: FullText = SQLITE_FULL_TEXT) -> None:
        """``full_text``: how this engine matches and ranks (``SQLITE_FULL_TEXT``,
        ``POSTGRES_FULL_TEXT``)."""
        super().__init__(db)
        self.full_text = full_text

    async def open_tickets(
        self,
        team_id: str,
        *,
        filed_from: str | None = None,
        filed_by: str | None = None,
        provider: str | None = None,
        before_id: int | None = None,
        limit: int = 20,
    ) -> list[TicketRecord]:
        """Tickets the provider has not closed, newest first, from a channel or by a person
        (or both), below ``before_id`` (the last one of the previous page)."""
        where, params = _filters(team_id, provider)
        where += " AND tickets.closed_at IS NULL"
        for column, value in (("filed_from", filed_from), ("filed_by", filed_by)):
            if value is not None:
                where += f" AND tickets.{column} = ?"
                params.append(value)
        if before_id is not None:
            where += " AND tickets.id < ?"
            params.append(before_id)
        rows = await self._rows(
            f"SELECT * FROM tickets WHERE {where} ORDER BY tickets.id DESC LIMIT ?",  # noqa: S608
            (*params, limit),
        )
        return [_ticket(row) for row in rows]

    async def search_tickets(
        self,
        team_id: str,
        words: list[str],
        *,
        provider: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> list[TicketRecord]:
        """Tickets whose subject or description has any of ``words`` (see ``search_words``),
        best match first; open or closed."""
        if not words:
            return []
        fts = self.full_text
        query = fts.query(words)
        where, params = _filters(team_id, provider)
        rank_params = [query] if "?" in fts.rank else []
        rows = await self._rows(
            f"SELECT tickets.* FROM {fts.join} WHERE {fts.match} AND {where}"  # noqa: S608
            f" ORDER BY {fts.rank}, tickets.id DESC LIMIT ? OFFSET ?",
            (query, *params, *rank_params, limit, offset),
        )
        return [_ticket(row) for row in rows]

    async def ticket_at(
        self, team_id: str, provider: str, *, ticket_id: str | None, number: str | None
    ) -> TicketRecord | None:
        """The ticket a provider link names, by the provider's id or its number."""
        column, value = ("provider_ticket_id", ticket_id) if ticket_id else ("number", number)
        row = await self._row(
            f"SELECT * FROM tickets WHERE team_id = ? AND provider = ? AND {column} = ?"  # noqa: S608
            " ORDER BY id DESC LIMIT 1",
            (team_id, provider, value),
        )
        return _ticket(row) if row else None


def _filters(team_id: str, provider: str | None) -> tuple[str, list[object]]:
    where, params = "tickets.team_id = ?", [team_id]
    if provider is not None:
        where += " AND tickets.provider = ?"
        params.append(provider)
    return where, list(params)
