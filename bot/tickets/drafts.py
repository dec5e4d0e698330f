"""What a submission stores before any provider call: enough to file again, or to edit and retry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.providers.base import FieldValue, Filer
from bot.views.metadata import ModalContext


class Draft(BaseModel):
    model_config = ConfigDict(frozen=True)

    provider: str
    values: dict[str, FieldValue]
    filer: Filer
    context: ModalContext
    permalink: str | None = None
    file_as: str | None = None  # a requester an admin picked; set only after an admin check


def submission_key(view_id: str, context: ModalContext) -> str:
    """The idempotency key: the modal's view id plus the message it is about, if any.

    NOTE: Slack keeps a modal's view id across submits, so a double click or a re-submit after
    an error maps to the same submission and cannot file twice.
    """
    if context.channel_id and context.message_ts:
        return f"{view_id}|{context.channel_id}:{context.message_ts}"
    return view_id


def view_id_of(key: str) -> str:
    return key.split("|", 1)[0]
