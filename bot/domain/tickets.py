"""Tickets in neutral terms: who files, what is asked for, and what a provider answers."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.domain.forms import FieldValue


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


ENTERED_BY_HAND = "entered by hand"  # the status of a ticket a filer named by its number


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

    @property
    def entered_by_hand(self) -> bool:
        """A person typed this ticket's number (*It was filed*); the provider never gave it."""
        return self.status == ENTERED_BY_HAND


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
