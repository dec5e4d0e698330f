"""The provider adapter seam: neutral models in, a ticket reference out.

An adapter describes the form it needs as data (``Form``); one generic renderer turns it into
Block Kit and one generic parser reads the submission back, so no adapter touches Slack.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeGuard, runtime_checkable

from bot.domain.forms import Form, Values
from bot.domain.tickets import (
    Attachment,
    Filer,
    NewTicket,
    Requester,
    TicketRef,
    TicketStatus,
)

# NOTE: awaited just before a create request leaves, once it holds a connection slot; the
# filing service marks its submission sent there (and may raise to stop the send).
BeforeSend = Callable[[], Awaitable[None]]
# NOTE: called (provider title, feature, why) once per optional feature found missing; given to
# the adapter's constructor (the admin channel hears of it).
FeatureOff = Callable[[str, str, str], None]


def no_notice(title: str, feature: str, why: str) -> None:
    """The ``FeatureOff`` hook of an adapter nobody listens to (checks, tests)."""


class Provider(Protocol):
    """What every adapter offers. Adapters raise from ``bot.domain.errors``;
    they never return None.

    ``features_off``: optional features whose endpoint answered 404/405 (feature → why); the
    ``FeatureOff`` hook the adapter was built with hears of each once, as it goes off.
    """

    features_off: dict[str, str]

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    def default_requester(self, filer: Filer) -> Requester | None:
        """Whom to file as when the filer has no stored link (the key's owner, a config default,
        the filer's e-mail), or None when the provider cannot know."""
        ...

    def ticket_id_problem(self, value: str) -> str | None:
        """Why ``value`` cannot be one of this provider's ticket ids or numbers (as its docs
        show them), or None if it can; what fails here never reaches a request."""
        ...

    def requester_id_problem(self, requester_id: str) -> str | None:
        """Why ``requester_id`` cannot be linked at this provider, or None if it can."""
        ...

    def cached_form(self) -> Form | None:
        """The form if its look-ups are cached, so the modal can open with it at once."""
        ...

    async def form(self) -> Form:
        """The form, doing (and caching) any look-ups it needs."""
        ...

    def check_values(self, values: Values) -> dict[str, str]:
        """Provider rules the generic checks cannot express; field key → message."""
        ...

    async def create(
        self, ticket: NewTicket, requester: Requester, *, before_send: BeforeSend | None = None
    ) -> TicketRef:
        """File the ticket; ``before_send`` is awaited just before the create request leaves
        (it may raise, and then nothing is sent)."""
        ...

    def ticket_ref(self, ticket_id: str, number: str, *, status: str) -> TicketRef:
        """A reference to one of this provider's tickets, with its link if one is configured."""
        ...

    async def probe(self) -> str:
        """A harmless authenticated read; returns what it saw, for ``ticketbot check``."""
        ...


@runtime_checkable
class SupportsCustomerSearch(Protocol):
    async def find_customer(self, email: str) -> str | None:
        """The requester id whose e-mail is exactly ``email`` (one match only), or None."""
        ...


@runtime_checkable
class SupportsRecentLookup(Protocol):
    async def find_recent(
        self, ticket: NewTicket, requester: Requester, since: float
    ) -> list[TicketRef]:
        """The tickets with this subject filed since ``since`` (epoch seconds), oldest first:
        after an unanswered attempt, so a retry does not file a twin (``bot.providers.twins``).
        Raises ``CannotTell`` when the list cannot say, ``FeatureMissing`` when there is none."""
        ...


def takes_attachments(provider: Provider) -> bool:
    """Whether ``provider``'s ``create`` sends ``NewTicket.attachments`` (and says which it
    could): ``accepts_attachments = True``, not merely the attribute (a protocol check would
    count ``False`` as support)."""
    return getattr(provider, "accepts_attachments", False) is True


@runtime_checkable
class SupportsAttachTo(Protocol):
    """Adapters that can add files to an existing ticket (a message added to it)."""

    async def attach(
        self, ref: TicketRef, files: tuple[Attachment, ...]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The names attached, and "name: why" for each that was not; never raises for one
        file's failure."""
        ...


@runtime_checkable
class SupportsStatus(Protocol):
    async def get(self, ref: TicketRef) -> TicketStatus: ...


@runtime_checkable
class SupportsReply(Protocol):
    async def reply(self, ref: TicketRef, text: str) -> None: ...


# NOTE: the names of the optional features an adapter turns off when their endpoint answers
# 404/405 (``Provider.features_off``).
STATUS = "status and staff replies"
REPLIES = "thread replies to the ticket"


class StatusProvider(Provider, SupportsStatus, Protocol):
    """A provider whose tickets' status can be read."""


class ReplyingProvider(Provider, SupportsReply, Protocol):
    """A provider that takes replies on its tickets."""


def reads_status(provider: Provider | None) -> TypeGuard[StatusProvider]:
    """Whether the bot can read this provider's ticket status and staff replies now."""
    return (
        provider is not None
        and isinstance(provider, SupportsStatus)
        and STATUS not in provider.features_off
    )


def takes_replies(provider: Provider | None) -> TypeGuard[ReplyingProvider]:
    """Whether this provider takes replies (comments) on its tickets now."""
    return (
        provider is not None
        and isinstance(provider, SupportsReply)
        and REPLIES not in provider.features_off
    )
