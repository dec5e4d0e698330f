"""The SQLite store: parameterised queries only, over one connection (see ``database``)."""

from __future__ import annotations

from bot.store.links import LinkQueries
from bot.store.modals import ModalQueries
from bot.store.submissions import SubmissionQueries
from bot.store.tickets import TicketQueries


class Store(SubmissionQueries, TicketQueries, LinkQueries, ModalQueries):
    """Links, submissions, tickets and the modals the bot opened.

    Create with ``Store.open``; close with ``close``.
    """
