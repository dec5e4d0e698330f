"""How an attempt at a submission ended, and what the services need of whoever tells people.

The services know nothing of Slack: they hand outcomes to an ``Announces`` (the Slack layer's
``Announcer``) and ask an ``Enriches`` for what a draft still needs before it is filed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.domain.disclosure import Redacted
from bot.domain.drafts import Draft
from bot.domain.records import Submission, TicketRecord
from bot.domain.tickets import StaffMessage, TicketRef


@dataclass(frozen=True)
class Filed:
    record: TicketRecord
    ref: TicketRef
    draft: Draft
    submission: Submission
    redacted: Redacted = field(default_factory=Redacted)  # what was not sent as typed


@dataclass(frozen=True)
class Queued:
    """Not filed yet; the worker tries again at ``next_at``."""

    submission: Submission
    draft: Draft
    reason: str
    attempt: int
    next_at: float
    checking: bool = False  # the ticket may exist already: the next attempt looks first


@dataclass(frozen=True)
class GaveUp:
    """The retry window ran out; the draft is kept."""

    submission: Submission
    draft: Draft
    reason: str


@dataclass(frozen=True)
class Unsure:
    """Sent, unanswered, and not knowable: the filer checks and chooses."""

    submission: Submission
    draft: Draft
    reason: str


Outcome = Filed | Queued | GaveUp | Unsure


def reference(submission: Submission) -> str:
    """The submission's reference in the ticket's text, the same on every attempt, so the
    filer (or staff) can find the ticket by it."""
    return f"S{submission.id}"


class Announces(Protocol):
    """Tells people how their tickets go (the card, the modal, the thread)."""

    async def outcome(self, outcome: Outcome, *, view_id: str | None) -> None: ...

    async def failed(
        self, submission: Submission, draft: Draft, error: Exception, ref: str
    ) -> None: ...

    async def post_owed_card(self, record: TicketRecord) -> None: ...

    async def status_changed(
        self, ticket: TicketRecord, title: str, old: str | None, new: str
    ) -> None: ...

    async def staff_message(
        self, ticket: TicketRecord, title: str, message: StaffMessage
    ) -> None: ...

    async def tickets_changed(self, team_id: str, user_id: str) -> None:
        """One of ``user_id``'s tickets changed (filed, moved, closed): what lists them is
        out of date (the App Home)."""
        ...


class Enriches(Protocol):
    """What a saved draft still needs before its first attempt (the filer's profile, the
    message's permalink): the submit's ack stores it without them."""

    async def __call__(self, draft: Draft) -> Draft: ...


class TellsAlerts(Protocol):
    """Tells a ticket's thread what its alert and its provider did after filing."""

    async def alert_fired_again(
        self, ticket: TicketRecord, title: str, at: float, firings: int
    ) -> str | None:
        """Say it fired again, in the one message kept for that (edited in place); returns
        the ts of that message if it was posted now, None if an earlier one was edited."""
        ...

    async def alert_resolved(
        self, ticket: TicketRecord, title: str, at: float, lasted: str
    ) -> None: ...

    async def no_reply_reminder(
        self, ticket: TicketRecord, title: str, waited: float, target: float
    ) -> None: ...

    async def redacted(self, ticket: TicketRecord, title: str, redacted: Redacted) -> None:
        """Say what was redacted before something went to the ticket's provider."""
        ...
