"""The store: parameterised queries only, written once for both backends (``database``)."""

from __future__ import annotations

from pathlib import Path

from bot.store.alerts import AlertQueries
from bot.store.comments import CommentQueries
from bot.store.database import Database
from bot.store.home import HomeQueries
from bot.store.links import LinkQueries
from bot.store.modals import ModalQueries
from bot.store.orphans import OrphanQueries
from bot.store.postgres import PostgresDatabase
from bot.store.replicas import ReplicaQueries
from bot.store.retention import RetentionQueries
from bot.store.search import POSTGRES_FULL_TEXT, SearchQueries
from bot.store.sqlite import SqliteDatabase
from bot.store.submissions import SubmissionQueries
from bot.store.threads import ThreadQueries
from bot.store.tickets import TicketQueries

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class Store(
    SubmissionQueries,
    TicketQueries,
    AlertQueries,
    CommentQueries,
    HomeQueries,
    LinkQueries,
    ModalQueries,
    ReplicaQueries,
    RetentionQueries,
    OrphanQueries,
    SearchQueries,
    ThreadQueries,
    Database,
):
    """Links, submissions, tickets, the modals the bot opened, and the replicas sharing it.

    ``Store.open(where)``: a ``postgresql://`` URL opens PostgreSQL (replicas may share it);
    anything else is a SQLite file. Close with ``close``.
    """

    @classmethod
    async def open(cls, where: Path | str, *, exclusive: bool = False) -> Store:
        """Open and migrate. ``exclusive``: this process runs the bot (SQLite: the only one
        on the file; PostgreSQL: one replica of many)."""
        if is_postgres(where):
            return await PostgresStore.connect(str(where))
        return await SqliteStore.connect(where, exclusive=exclusive)


class SqliteStore(Store, SqliteDatabase):
    pass


class PostgresStore(Store, PostgresDatabase):
    full_text = POSTGRES_FULL_TEXT


def is_postgres(where: Path | str) -> bool:
    return str(where).startswith(POSTGRES_SCHEMES)
