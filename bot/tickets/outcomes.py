"""How an attempt at a submission ended, and what the services need of whoever tells people.

The services know nothing of Slack: the filing service hands outcomes to an ``Announces``
(``tickets/cards.py``, which keeps the cards' bookkeeping and has the Slack layer's
``Announcer`` show them, through ``ShowsOutcomes``), and asks an ``Enriches`` for what a draft
still needs before it is filed. Each protocol is what one service calls, handed to its
constructor by the composition root (``bot/compose.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.domain.disclosure import Redacted
from bot.domain.drafts import Draft
from bot.domain.errors import AdminFixable, Signal
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


@dataclass(frozen=True)
class Posted:
    """Where a card went. ``ts`` is None when it only reached the filer privately; ``note``
    tells the filer where, when it is not the channel."""

    channel_id: str
    ts: str | None
    thread_ts: str | None
    note: str | None = None


class CardRefused(Signal):
    """Slack would not take a filed ticket's card now (``message``: what it said); the card is
    owed and posted later."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Wakeup(Protocol):
    """The retry worker's wake-up (an ``asyncio.Event``): set when a retry or an owed card
    falls due sooner than the worker sleeps."""

    def set(self) -> None: ...


class Announces(Protocol):
    """What the filing service calls with how an attempt went."""

    async def outcome(self, outcome: Outcome, *, view_id: str | None) -> None: ...

    async def failed(
        self, submission: Submission, draft: Draft, error: Exception, ref: str
    ) -> None: ...


class ShowsOutcomes(Protocol):
    """Shows people how their submissions went (the Slack layer's ``Announcer``)."""

    async def card(self, outcome: Outcome) -> Posted:
        """Post the outcome's card where it was filed from, or update the card it has;
        ``CardRefused`` for a filed ticket's card Slack will not take now."""
        ...

    async def tell(self, outcome: Outcome, card: Posted | None, *, view_id: str | None) -> None:
        """The rest, once the card's place is recorded: the modal (``view_id``), the workflow
        step, the thread's notes, the App Home. ``card`` None: it was refused."""
        ...

    async def failed(
        self, submission: Submission, draft: Draft, error: Exception, ref: str
    ) -> None:
        """A retry the user or an admin must fix: the card says so, and the step fails."""
        ...

    async def card_in_channel(self, record: TicketRecord) -> str | None:
        """The ts of ``record``'s card if Slack has it already (posted by a process that
        stopped before it saved where), None if not or if Slack cannot say."""
        ...

    async def owed_card(self, record: TicketRecord) -> Posted:
        """Post a card Slack would not take at filing time; ``CardRefused`` if it still will
        not."""
        ...


class TellsAdmins(Protocol):
    """The admin channel (the Slack layer's ``AdminChannel``)."""

    async def needs_admin(self, error: AdminFixable, ref: str) -> None: ...

    async def feature_off(self, title: str, feature: str, why: str) -> None: ...


class TellsChanges(Protocol):
    """Tells a ticket's threads, and its filer's App Home, what changed at the provider."""

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
