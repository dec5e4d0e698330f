"""What a user's App Home shows, as data (``bot.tickets.home`` gathers it, the Slack layer
renders it)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.figures import ProviderFigures
from bot.domain.records import LinkChange, Submission, TicketRecord
from bot.domain.tickets import Filer, Requester


@dataclass(frozen=True)
class ProviderTrouble:
    """Submissions to a provider still retrying, and its latest error."""

    retrying: int = 0
    last_error: str | None = None
    last_error_at: float | None = None
    checking: int = 0  # of those retrying, how many may exist already (looked for first)


@dataclass(frozen=True)
class FilesAs:
    title: str
    requester: Requester | None  # None: found when they first file (or an admin must link)
    must_link: bool


@dataclass(frozen=True)
class ProviderHealth:
    name: str
    title: str
    trouble: ProviderTrouble
    features_off: dict[str, str]
    figures: ProviderFigures


@dataclass(frozen=True)
class Attention:
    """A submission a person must decide on."""

    submission: Submission
    title: str
    subject: str


@dataclass(frozen=True)
class HomeData:
    filer: Filer
    now: float
    tickets: list[TicketRecord]
    titles: dict[str, str]
    files_as: list[FilesAs]
    providers: list[ProviderHealth]
    is_admin: bool = False
    attention: list[Attention] | None = None
    link_changes: tuple[LinkChange, ...] = ()
    checking: tuple[Attention, ...] = ()  # the filer's, maybe filed already: being looked for
