"""The ticket modal and its states, as pure functions: data in, Block Kit dict out.

``slack_sdk.models`` check Slack's limits when ``to_dict()`` serialises, so a view that Slack
would reject fails in a unit test first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.blocks.block_elements import (
    EmailInputElement,
    InputInteractiveElement,
    NumberInputElement,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import ERROR_PREFIX, ActionId, BlockId, CallbackId, field_block_id
from bot.providers.base import Choice, FieldKind, FieldValue, Form, FormField
from bot.views.metadata import ModalContext
from bot.views.text import escape, truncate

TITLE = "File a ticket"
STATIC_SELECT_LIMIT = 100


def _modal(
    context: ModalContext,
    blocks: Sequence[Block],
    *,
    submit: str | None = None,
    close: str = "Cancel",
) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=CallbackId.TICKET_MODAL,
        title=PlainTextObject(text=TITLE),
        submit=PlainTextObject(text=submit) if submit else None,
        close=PlainTextObject(text=close),
        blocks=list(blocks),
        private_metadata=context.dump(),
    )
    return view.to_dict()


def _section(text: str, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, 3000)), block_id=block_id)


def loading_modal(context: ModalContext, provider_title: str) -> dict[str, Any]:
    """Opened at once while provider look-ups run; ``views.update`` replaces it."""
    return _modal(
        context,
        [_section(f":hourglass_flowing_sand: Loading the {escape(provider_title)} form…")],
        close="Close",
    )


def message_modal(context: ModalContext, text: str) -> dict[str, Any]:
    """A modal that only says something (filing, filed, failed)."""
    return _modal(context, [_section(text)], close="Close")


def _option(choice: Choice) -> Option:
    return Option(value=choice.value[:150], text=PlainTextObject(text=truncate(choice.label, 75)))


def _provider_picker(providers: Mapping[str, str], selected: str | None) -> InputBlock:
    options = [_option(Choice(value=name, label=title)) for name, title in providers.items()]
    initial = next((o for o in options if o.value == selected), None)
    return InputBlock(
        block_id=BlockId.PROVIDER,
        label=PlainTextObject(text="Provider"),
        dispatch_action=True,
        element=StaticSelectElement(
            action_id=ActionId.PROVIDER,
            placeholder=PlainTextObject(text="Where should the ticket go?"),
            options=options,
            initial_option=initial,
        ),
    )


def provider_picker_modal(context: ModalContext, providers: Mapping[str, str]) -> dict[str, Any]:
    """The first step when several providers are configured."""
    return _modal(context, [_provider_picker(providers, None)], submit=None)


def _element(field: FormField, value: FieldValue | None) -> InputInteractiveElement:
    text = value if isinstance(value, str) else ", ".join(value or ())
    text = text or field.default or ""
    placeholder = PlainTextObject(text=field.placeholder) if field.placeholder else None
    if field.kind is FieldKind.SELECT:
        options = [_option(c) for c in field.choices[:STATIC_SELECT_LIMIT]]
        initial = next((o for o in options if o.value == text), None)
        return StaticSelectElement(
            action_id=ActionId.VALUE,
            options=options,
            initial_option=initial,
            placeholder=placeholder,
        )
    if field.kind is FieldKind.INTEGER:
        return NumberInputElement(
            action_id=ActionId.VALUE,
            is_decimal_allowed=False,
            initial_value=text or None,
            placeholder=placeholder,
        )
    if field.kind is FieldKind.EMAIL:
        return EmailInputElement(
            action_id=ActionId.VALUE, initial_value=text or None, placeholder=placeholder
        )
    return PlainTextInputElement(
        action_id=ActionId.VALUE,
        multiline=field.kind is FieldKind.LONG_TEXT,
        initial_value=text[: field.max_length or 3000] or None,
        min_length=field.min_length,
        max_length=min(field.max_length or 3000, 3000),
        placeholder=placeholder,
    )


def ticket_modal(
    context: ModalContext,
    form: Form,
    *,
    providers: Mapping[str, str],
    values: Mapping[str, FieldValue] | None = None,
    errors: Mapping[str, str] | None = None,
    banner: str | None = None,
    filed_as: str | None = None,
) -> dict[str, Any]:
    """The form of ``context.provider``; ``errors`` after a provider rejected the submission."""
    values, errors = values or {}, errors or {}
    blocks: list[Block] = []
    if banner:
        blocks.append(_section(f":warning: {banner}", BlockId.BANNER))
    if len(providers) > 1:
        blocks.append(_provider_picker(providers, context.provider))
    if form.notes:
        blocks.append(
            ContextBlock(
                block_id=BlockId.NOTES,
                elements=[
                    MarkdownTextObject(text=truncate(note, 2000)) for note in form.notes[:10]
                ],
            )
        )
    for field in form.fields:
        blocks.append(
            InputBlock(
                block_id=field_block_id(field.key),
                label=PlainTextObject(text=field.label),
                element=_element(field, values.get(field.key)),
                optional=not field.required,
                hint=PlainTextObject(text=field.hint) if field.hint else None,
            )
        )
        if field.key in errors:
            blocks.append(
                ContextBlock(
                    block_id=f"{ERROR_PREFIX}{field.key}",
                    elements=[
                        MarkdownTextObject(text=f":x: {escape(truncate(errors[field.key], 1900))}")
                    ],
                )
            )
    if filed_as:
        blocks.append(
            ContextBlock(
                block_id=BlockId.FILED_AS,
                elements=[MarkdownTextObject(text=f"Filed as: {escape(filed_as)}")],
            )
        )
    return _modal(context, blocks, submit="File ticket")
