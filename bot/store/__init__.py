"""SQLite persistence."""

from bot.domain.records import Link, LinkChange, LinkRow, Submission, SubmissionState, TicketRecord
from bot.store.store import Store

__all__ = [
    "Link",
    "LinkChange",
    "LinkRow",
    "Store",
    "Submission",
    "SubmissionState",
    "TicketRecord",
]
