"""The store: the database backend (``database``) and one repository per aggregate over it,
each a small class of parameterised queries written once for both engines."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.store.alerts import AlertQueries
from bot.store.cards import CardQueries
from bot.store.comments import CommentQueries
from bot.store.database import Database
from bot.store.home import HomeQueries
from bot.store.links import LinkQueries
from bot.store.marks import MarkQueries
from bot.store.modals import ModalQueries
from bot.store.orphans import OrphanQueries
from bot.store.outage import Outage
from bot.store.polls import PollQueries
from bot.store.postgres import PostgresDatabase
from bot.store.replicas import ReplicaQueries
from bot.store.responses import ResponseQueries
from bot.store.retention import Pruned, RetentionQueries
from bot.store.search import POSTGRES_FULL_TEXT, SQLITE_FULL_TEXT, SearchQueries
from bot.store.sqlite import SqliteDatabase
from bot.store.submissions import SubmissionQueries
from bot.store.threads import ThreadQueries
from bot.store.tickets import TicketQueries

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class Store:
    """The open database and its repositories: each service is handed the ones it uses.

    ``Store.open(where)``: a ``postgresql://`` URL opens PostgreSQL (replicas may share it);
    anything else is a SQLite file. Close with ``close``.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.submissions = SubmissionQueries(db)
        self.tickets = TicketQueries(db)
        self.cards = CardQueries(db)
        self.polls = PollQueries(db)
        self.alerts = AlertQueries(db)
        self.responses = ResponseQueries(db)
        self.threads = ThreadQueries(db)
        self.comments = CommentQueries(db)
        self.links = LinkQueries(db)
        self.modals = ModalQueries(db)
        self.home = HomeQueries(db)
        full_text = POSTGRES_FULL_TEXT if isinstance(db, PostgresDatabase) else SQLITE_FULL_TEXT
        self.search = SearchQueries(db, full_text)
        self.marks = MarkQueries(db)
        self.replicas = ReplicaQueries(db)
        self.orphans = OrphanQueries(db)
        self.retention = RetentionQueries(db)

    @classmethod
    async def open(cls, where: Path | str, *, exclusive: bool = False) -> Store:
        """Open and migrate. ``exclusive``: this process runs the bot (SQLite: the only one
        on the file; PostgreSQL: one replica of many)."""
        if is_postgres(where):
            return cls(await PostgresDatabase.connect(str(where)))
        return cls(await SqliteDatabase.connect(where, exclusive=exclusive))

    @property
    def outage(self) -> Outage:
        """The database outage under way, if any (told once; see ``bot.store.outage``)."""
        return self.db.outage

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        """What the backend raises when the database cannot be used (locked, gone)."""
        return self.db.errors

    def unavailable(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the database is away (or busy), not that a query is wrong."""
        return self.db.unavailable(exc)

    async def healthy(self) -> bool:
        """Whether the database can be written now."""
        return await self.db.healthy()

    async def prune(self, older_than: float) -> Pruned:
        """The one pruning pass (the heartbeat runs it, one replica an hour): what
        ``retention_days`` no longer keeps (``older_than``: a time), and what is kept for a
        fixed time past it (events seen, marks, modals opened, heartbeats). No write prunes."""
        kept = await self.retention.prune(older_than)
        return dataclasses.replace(
            kept,
            events=await self.marks.prune_events(),
            marks=await self.marks.prune_marks(),
            modals=await self.modals.prune(),
            replicas=await self.replicas.prune(),
        )

    async def schema_version(self) -> int:
        return await self.db.schema_version()

    async def close(self) -> None:
        await self.db.close()


def is_postgres(where: Path | str) -> bool:
    return str(where).startswith(POSTGRES_SCHEMES)
