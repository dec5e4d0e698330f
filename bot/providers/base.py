"""The provider adapter seam: neutral models in, a ticket reference out.

An adapter describes the form it needs as data (``Form``); one generic renderer turns it into
Block Kit and one generic parser reads the submission back, so no adapter touches Slack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field


class FieldKind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    SELECT = "select"
    EMAILS = "emails"
    INTEGER = "integer"
    EMAIL = "email"
    CHECKBOXES = "checkboxes"


class CommonField(StrEnum):
    """Keys every adapter uses for the fields every ticket has, so prefill can find them."""

    SUBJECT = "subject"
    DESCRIPTION = "description"
    PRIORITY = "priority"


class Choice(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: str
    label: str


class FormField(BaseModel):
    """One input of a provider's form, described as data."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    choices: tuple[Choice, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    hint: str | None = None
    placeholder: str | None = None
    default: str | None = None


class Form(BaseModel):
    """A provider's whole form; ``notes`` (rules the user should know) show above the fields."""

    model_config = ConfigDict(frozen=True)

    fields: tuple[FormField, ...]
    notes: tuple[str, ...] = ()

    def field(self, key: str) -> FormField | None:
        return next((f for f in self.fields if f.key == key), None)

    def has_field(self, key: str) -> bool:
        return self.field(key) is not None


FieldValue = str | tuple[str, ...]
Values = Mapping[str, FieldValue]


class Filer(BaseModel):
    """The Slack user filing the ticket."""

    model_config = ConfigDict(frozen=True)

    team_id: str
    user_id: str
    name: str
    email: str | None = None


class Attachment(BaseModel):
    """A file to send with the ticket (downloaded from Slack)."""

    model_config = ConfigDict(frozen=True)

    name: str
    content: bytes
    mime: str = "application/octet-stream"


class NewTicket(BaseModel):
    """What the user asked for, in the form's own keys, plus who and where from."""

    model_config = ConfigDict(frozen=True)

    values: dict[str, FieldValue]
    filer: Filer
    permalink: str | None = None
    attachments: tuple[Attachment, ...] = ()
    reference: str | None = None  # the submission's stable reference, the same every attempt

    def text(self, key: str) -> str:
        value = self.values.get(key, "")
        return value if isinstance(value, str) else ", ".join(value)

    def items(self, key: str) -> tuple[str, ...]:
        value = self.values.get(key, ())
        return (value,) if isinstance(value, str) and value else tuple(value)

    def footer(self) -> str:
        """The line every adapter appends to the message body: who filed it, and from where."""
        where = f" from {self.permalink}" if self.permalink else ""
        ref = f" (ticketbot ref {self.reference})" if self.reference else ""
        return f"\n\n--\nFiled via Slack by {self.filer.name}{where}{ref}"


class RequesterSource(StrEnum):
    LINK = "link"
    ADMIN_PICK = "admin_pick"
    EMAIL_MATCH = "email_match"
    DEFAULT = "default"
    TOKEN_OWNER = "token_owner"  # noqa: S105 (a label, not a secret)


class Requester(BaseModel):
    """Whom the ticket is filed as at the provider."""

    model_config = ConfigDict(frozen=True)

    id: str | None
    label: str
    source: RequesterSource


class TicketRef(BaseModel):
    """A filed ticket: the provider's own id, the number customers see, and a link if known."""

    model_config = ConfigDict(frozen=True)

    provider: str
    id: str
    number: str
    url: str | None = None
    status: str | None = None
    attached: tuple[str, ...] = ()  # file names the provider took
    not_attached: tuple[str, ...] = ()  # "name: why" for files it did not


class StaffMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    author: str
    body: str


class TicketStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: str
    closed: bool
    messages: tuple[StaffMessage, ...] = ()


class Provider(Protocol):
    """What every adapter offers. Adapters raise from ``bot.errors``; they never return None.

    ``features_off``: optional features whose endpoint answered 404/405 (feature → why);
    ``on_feature_off`` is called once for each, as it goes off.
    """

    features_off: dict[str, str]
    on_feature_off: Callable[[str, str], None]

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    def default_requester(self, filer: Filer) -> Requester | None:
        """Whom to file as when the filer has no stored link (the key's owner, a config default,
        the filer's e-mail), or None when the provider cannot know."""
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

    async def create(self, ticket: NewTicket, requester: Requester) -> TicketRef: ...

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


@runtime_checkable
class SupportsAttachments(Protocol):
    """Adapters whose ``create`` sends ``NewTicket.attachments`` (and says which it could)."""

    accepts_attachments: bool


@runtime_checkable
class SupportsStatus(Protocol):
    async def get(self, ref: TicketRef) -> TicketStatus: ...


@runtime_checkable
class SupportsReply(Protocol):
    async def reply(self, ref: TicketRef, text: str) -> None: ...
