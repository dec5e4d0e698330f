"""A Slack message on its way to an existing ticket (*Add to a ticket*): what the modal keeps of
it across its round trip (``AddContext``, in ``private_metadata``), and what the add did."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.domain.disclosure import Redacted
from bot.domain.drafts import PRIVATE_METADATA_LIMIT, FileRef
from bot.domain.records import TicketRecord

TEXT_KEPT = 2000  # characters of the message the comment quotes; the permalink has the rest


class MessageRef(BaseModel):
    """The message being added: where it is, who wrote it when, and what it says."""

    model_config = ConfigDict(frozen=True)

    channel_id: str
    message_ts: str
    thread_ts: str  # the root of the message's thread (the message itself if it has none)
    permalink: str | None = None
    author_id: str | None = None
    author_name: str | None = None
    text: str = ""
    files: tuple[FileRef, ...] = ()


class AddContext(BaseModel):
    """The *Add to a ticket* modal's context; ``ticket_id`` once a ticket is chosen (the
    link-only question for a provider that takes no comments carries it)."""

    model_config = ConfigDict(frozen=True)

    message: MessageRef
    response_url: str | None = None
    ticket_id: int | None = None

    def dump(self) -> str:
        text = self.model_dump_json(exclude_none=True)
        message = self.message
        while len(text) > PRIVATE_METADATA_LIMIT and message.text:
            # NOTE: JSON escapes can make text longer than its characters; halve until it fits
            message = message.model_copy(update={"text": message.text[: len(message.text) // 2]})
            text = self.model_copy(update={"message": message}).model_dump_json(exclude_none=True)
        return text

    @classmethod
    def load(cls, text: str) -> AddContext | None:
        try:
            return cls.model_validate_json(text)
        except ValidationError:
            return None


def add_key(ticket_id: int, message: MessageRef) -> str:
    """One comment per message and ticket, however often it is submitted, by whomever, on
    whichever replica."""
    return f"add|{ticket_id}|{message.channel_id}:{message.message_ts}"


class AddState(StrEnum):
    ADDED = "added"  # the provider has the comment
    QUEUED = "queued"  # kept; time may fix what stopped it: sent again later
    UNSURE = "unsure"  # sent without an answer: not sent again, so never twice
    LINKED = "linked"  # link only (the provider takes no comments)
    ALREADY = "already"  # this message was added to this ticket before
    REFUSED = "refused"  # the provider refused it for good; nothing else was done


@dataclass(frozen=True)
class AddResult:
    state: AddState
    ticket: TicketRecord
    title: str
    attached: tuple[str, ...] = ()
    not_attached: tuple[str, ...] = ()
    reason: str | None = None  # the provider's words, when it refused
    followed: bool = False  # this thread now follows the ticket (it did not before)
    redacted: Redacted = field(default_factory=Redacted)  # taken out of the files sent
