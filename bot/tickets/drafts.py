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
