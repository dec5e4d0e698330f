"""A provider's form as data: fields, kinds, choices and limits, rendered generically as a modal."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

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
