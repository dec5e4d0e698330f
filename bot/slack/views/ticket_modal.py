"""The ticket modal and its states, as pure functions: data in, Block Kit dict out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.drafts import ModalContext
from bot.domain.forms import FieldKind, FieldValue, Form, FormField
from bot.slack.views.blocks import (
    Block,
    actions,
    context,
    input_block,
    modal,
    option,
    plain,
    section,
)
from bot.slack.views.ids import ERROR_PREFIX, ActionId, BlockId, CallbackId, field_block_id
from bot.slack.views.text import escape

TITLE = "File a ticket"
STATIC_SELECT_LIMIT = 100


def _modal(
    ctx: ModalContext, blocks: list[Block], *, submit: str | None = None, close: str = "Cancel"
) -> dict[str, Any]:
    return modal(
        callback_id=CallbackId.TICKET_MODAL,
        title=TITLE,
        blocks=blocks,
        private_metadata=ctx.dump(),
        submit=submit,
        close=close,
    )


def loading_modal(ctx: ModalContext, provider_title: str) -> dict[str, Any]:
    """Opened at once while provider look-ups run; ``views.update`` replaces it."""
    text = f":hourglass_flowing_sand: Loading the {escape(provider_title)} form…"
    return _modal(ctx, [section(text)], close="Close")


def message_modal(ctx: ModalContext, text: str) -> dict[str, Any]:
    """A modal that only says something (filing, filed, failed)."""
    return _modal(ctx, [section(text)], close="Close")


def _provider_picker(providers: Mapping[str, str], selected: str | None) -> Block:
    options = [option(name, title) for name, title in providers.items()]
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": ActionId.PROVIDER,
        "placeholder": plain("Where should the ticket go?", 150),
        "options": options,
    }
    initial = next((o for o in options if o["value"] == selected), None)
    if initial:
        element["initial_option"] = initial
    return input_block(BlockId.PROVIDER, "Provider", element, dispatch=True)


def _element(field: FormField, value: FieldValue | None) -> dict[str, Any]:
    text = value if isinstance(value, str) else ", ".join(value or ())
    text = text or field.default or ""
    element: dict[str, Any] = {"action_id": ActionId.VALUE}
    if field.placeholder:
        element["placeholder"] = plain(field.placeholder, 150)
    if field.kind is FieldKind.SELECT:
        options = [option(c.value, c.label) for c in field.choices[:STATIC_SELECT_LIMIT]]
        element |= {"type": "static_select", "options": options}
        if initial := next((o for o in options if o["value"] == text), None):
            element["initial_option"] = initial
    elif field.kind is FieldKind.CHECKBOXES:
        options = [option(c.value, c.label) for c in field.choices[:10]]
        chosen = set(value) if isinstance(value, tuple) else set((field.default or "").split(","))
        element |= {"type": "checkboxes", "options": options}
        if picked := [o for o in options if o["value"] in chosen]:
            element["initial_options"] = picked
    elif field.kind is FieldKind.INTEGER:
        element |= {"type": "number_input", "is_decimal_allowed": False}
        if text:
            element["initial_value"] = text
    elif field.kind is FieldKind.EMAIL:
        element["type"] = "email_text_input"
        if text:
            element["initial_value"] = text
    else:
        limit = min(field.max_length or 3000, 3000)
        element |= {
            "type": "plain_text_input",
            "multiline": field.kind is FieldKind.LONG_TEXT,
            "max_length": limit,
        }
        if field.min_length:
            element["min_length"] = field.min_length
        if text:
            element["initial_value"] = text[:limit]
    return element


def ticket_modal(
    ctx: ModalContext,
    form: Form,
    *,
    providers: Mapping[str, str],
    values: Mapping[str, FieldValue] | None = None,
    errors: Mapping[str, str] | None = None,
    banner: str | None = None,
    filed_as: str | None = None,
    submit: str = "File ticket",
    offer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The form of ``ctx.provider``; ``errors`` after a provider rejected the submission;
    ``offer``: a button beside the banner (*Add to HostUp #10001* for an alert's open ticket),
    or above the form without one (*Add to a ticket instead*)."""
    values, errors = values or {}, errors or {}
    blocks: list[Block] = []
    if banner:
        blocks.append(section(f":warning: {banner}", BlockId.BANNER))
        if offer is not None:
            blocks[-1]["accessory"] = offer
    elif offer is not None:
        blocks.append(actions(BlockId.OFFER, offer))
    if len(providers) > 1:
        blocks.append(_provider_picker(providers, ctx.provider))
    if form.notes:
        blocks.append(context(*form.notes, block_id=BlockId.NOTES))
    for field in form.fields:
        blocks.append(
            input_block(
                field_block_id(field.key),
                field.label,
                _element(field, values.get(field.key)),
                optional=not field.required,
                hint=field.hint,
            )
        )
        if field.key in errors:
            blocks.append(
                context(f":x: {escape(errors[field.key])}", block_id=f"{ERROR_PREFIX}{field.key}")
            )
    if filed_as:
        blocks.append(context(f"Filed as: {escape(filed_as)}", block_id=BlockId.FILED_AS))
    return _modal(ctx, blocks, submit=submit)
