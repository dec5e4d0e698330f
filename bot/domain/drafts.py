"""A ticket not filed yet: where its modal came from (``ModalContext``, which survives the
modal's round trip in ``private_metadata``) and what a submission stores before any provider
call (``Draft``): enough to file again, or to edit and retry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.domain.forms import FieldValue
from bot.domain.tickets import Filer

# NOTE: Slack allows 3,000 characters; the seal (bot.slack.seal.OVERHEAD) takes 23 of them.
PRIVATE_METADATA_LIMIT = 3000 - 23


class FileRef(BaseModel):
    """A file on the message a shortcut was used on (downloaded only when filing)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    size: int = 0


class ModalContext(BaseModel):
    """Where the modal was opened from and which provider it shows."""

    model_config = ConfigDict(frozen=True)

    provider: str | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    message_ts: str | None = None  # the message a shortcut was used on
    permalink: str | None = None  # …and its link, found once when the modal opened
    severity: str | None = None  # read from the alert; maps onto each provider's priorities
    fingerprint: str | None = None  # the alert's identity across messages, for duplicates
    files: tuple[FileRef, ...] = ()  # at most 10 (a checkbox group's limit)
    response_url: str | None = None
    step: str | None = None  # the Workflow Builder step's function_execution_id, if it filed
    noticed: str | None = None  # the findings the form has shown (``disclosure.digest``)

    def dump(self) -> str:
        text = self.model_dump_json(exclude_none=True)
        if len(text) > PRIVATE_METADATA_LIMIT:  # only a freak response_url could do this
            text = self.model_copy(update={"response_url": None}).model_dump_json(exclude_none=True)
        return text

    @classmethod
    def load(cls, text: str | None) -> ModalContext:
        if not text:
            return cls()
        try:
            return cls.model_validate_json(text)
        except ValidationError:
            return cls()

    def with_provider(self, provider: str | None) -> ModalContext:
        if provider == self.provider:
            return self  # NOTE: frozen, so shared safely; a copy on every submit is waste
        return self.model_copy(update={"provider": provider})


class Draft(BaseModel):
    model_config = ConfigDict(frozen=True)

    provider: str
    values: dict[str, FieldValue]
    filer: Filer
    context: ModalContext
    permalink: str | None = None
    file_as: str | None = None  # a requester an admin picked; set only after an admin check
    as_typed: tuple[str, ...] = ()  # findings an admin chose to send unredacted (locators)
    view_id: str | None = None  # the modal that shows how filing went; None: no modal filed it

    @classmethod
    def stored(cls, key: str, text: str) -> Draft:
        """The draft a submission saved under ``key``.

        NOTE: a draft saved by 0.2.0 or earlier does not carry its modal's view id: its key
        begins with it, as a modal submit's key still does (``submission_key``).
        """
        draft = cls.model_validate_json(text)
        if "view_id" in draft.model_fields_set:
            return draft
        view_id = key.split("|", 1)[0]
        return draft.model_copy(update={"view_id": view_id if view_id.startswith("V") else None})


def submission_key(view_id: str, context: ModalContext) -> str:
    """The idempotency key: the modal's view id plus the message it is about, if any.

    NOTE: Slack keeps a modal's view id across submits, so a double click or a re-submit after
    an error maps to the same submission and cannot file twice.
    """
    if context.channel_id and context.message_ts:
        return f"{view_id}|{context.channel_id}:{context.message_ts}"
    return view_id


def reaction_key(channel_id: str, message_ts: str) -> str:
    """One submission per message filed by reaction, however many people react."""
    return f"reaction|{channel_id}:{message_ts}"


def step_key(function_execution_id: str) -> str:
    """One submission per workflow step run, however often Slack delivers it."""
    return f"step|{function_execution_id}"
