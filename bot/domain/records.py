"""What the store keeps, as typed records: submissions, tickets and requester links."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.tickets import TicketRef


class SubmissionState(StrEnum):
    PENDING = "pending"  # persisted, not yet sent
    FILING = "filing"  # a worker is talking to the provider
    FILED = "filed"
    FAILED = "failed"  # the user or an admin must act; the draft is kept
    RETRYING = "retrying"  # time may fix it: the worker tries again at next_attempt_at
    GAVE_UP = "gave_up"  # the retry window ran out; the draft is kept for "Edit & retry"
    UNSURE = "unsure"  # sent, unanswered, and no way to tell if it was filed: the filer decides


@dataclass(frozen=True)
class Submission:
    id: int
    key: str
    team_id: str
    user_id: str
    provider: str
    channel_id: str | None
    thread_ts: str | None
    draft: str
    state: SubmissionState
    attempts: int
    last_error: str | None
    ticket_id: int | None
    next_attempt_at: float | None = None
    card_channel: str | None = None
    card_ts: str | None = None
    created_at: float = 0.0
    check_twin: bool = False  # the last attempt may have filed it: look before retrying
    sent: bool = False  # an attempt's create request may have left, and no answer was read


class AlertPhase(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class AlertState:
    """The alert a ticket was filed for, as its later messages told: firing since
    ``fired_at`` (``firings``: times it fired since filing, the first included), or resolved."""

    phase: AlertPhase
    fired_at: float
    firings: int = 1
    note_ts: str | None = None  # the thread's "Fired again" message, edited in place


@dataclass(frozen=True)
class TicketRecord:
    id: int
    provider: str
    provider_ticket_id: str
    number: str
    url: str | None
    subject: str
    priority: str | None
    status: str | None
    team_id: str
    filed_by: str
    channel_id: str | None
    card_ts: str | None
    thread_ts: str | None
    created_at: float
    closed: bool = False
    seen_messages: tuple[str, ...] = ()
    next_poll_at: float = 0.0
    filed_from: str | None = None  # the channel the ticket was filed from (None: a DM)
    card_due_at: float | None = None  # the card could not be posted yet: try again then
    submission_id: int | None = None
    fingerprint: str | None = None  # the alert it was filed for, if any
    source_ts: str | None = None  # the message it was filed from, if any
    first_reply_at: float | None = None  # staff first answered (as the poller saw it)
    closed_at: float | None = None  # the provider first said closed
    reminded_at: float | None = None  # the response-time reminder went to the thread
    alert: AlertState | None = None

    @property
    def ref(self) -> TicketRef:
        """The ticket as its provider knows it, for reading or replying."""
        return TicketRef(
            provider=self.provider,
            id=self.provider_ticket_id,
            number=self.number,
            url=self.url,
            status=self.status,
        )

    def is_open_duplicate(self, message_ts: str | None) -> bool:
        """A ticket about ``message_ts`` already: filed from that very message, or for its
        alert while still open (an alert that fires after its ticket closed is a new alert)."""
        return self.source_ts == message_ts or self.closed_at is None


@dataclass(frozen=True)
class Link:
    team_id: str
    user_id: str
    provider: str
    requester_id: str
    source: str
    created_by: str | None
    created_at: float


@dataclass(frozen=True)
class LinkChange:
    user_id: str
    provider: str
    old: str | None
    new: str | None
    source: str
    actor: str
    at: float


@dataclass(frozen=True)
class LinkRow:
    """One link to write: used by the bulk import. ``team_id``: its workspace, when the row
    names one (an export's rows do); else the import's."""

    user_id: str
    provider: str
    requester_id: str
    team_id: str | None = None


class CommentState(StrEnum):
    PENDING = "pending"  # kept, not sent yet
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"  # time may fix it: sent again at next_attempt_at
    GAVE_UP = "gave_up"  # failed for good, or the window ran out
    UNSURE = "unsure"  # sent, unanswered: not sent again, so never twice


@dataclass(frozen=True)
class Comment:
    """A comment the bot adds to a provider ticket by itself (an alert fired again, resolved)."""

    id: int
    key: str
    ticket_id: int
    body: str
    state: CommentState
    attempts: int
    created_at: float
