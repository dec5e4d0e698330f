"""SQLite persistence."""

from bot.store.records import Submission, SubmissionState, TicketRecord
from bot.store.store import Store

__all__ = ["Store", "Submission", "SubmissionState", "TicketRecord"]
