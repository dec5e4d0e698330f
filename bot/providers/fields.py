"""Helpers adapters use to describe the fields most tickets share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.domain.forms import Choice, CommonField, FieldKind, FormField


def choices(values: Iterable[str] | Mapping[str, str]) -> tuple[Choice, ...]:
    """Options from plain values (label = value, prettified) or a value → label mapping."""
    if isinstance(values, Mapping):
        return tuple(Choice(value=v, label=label) for v, label in values.items())
    return tuple(Choice(value=v, label=v.replace("_", " ").capitalize()) for v in values)


def subject(
    *,
    max_length: int | None,
    min_length: int | None = None,
    hint: str | None = None,
    required: bool = True,
    label: str = "Subject",
) -> FormField:
    return FormField(
        key=CommonField.SUBJECT,
        label=label,
        required=required,
        min_length=min_length,
        max_length=max_length,
        hint=hint,
    )


def description(
    *, label: str = "Message", min_length: int | None = None, hint: str | None = None
) -> FormField:
    return FormField(
        key=CommonField.DESCRIPTION,
        label=label,
        kind=FieldKind.LONG_TEXT,
        min_length=min_length,
        max_length=3000,
        hint=hint,
    )


def priority(
    levels: Iterable[str] | Mapping[str, str], default: str, *, required: bool = True
) -> FormField:
    return FormField(
        key=CommonField.PRIORITY,
        label="Priority",
        kind=FieldKind.SELECT,
        choices=choices(levels),
        default=default,
        required=required,
    )
