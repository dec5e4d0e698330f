"""Reading a submitted modal back: the inverse of ``ticket_modal``, keyed by the same IDs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.ids import ActionId, BlockId, field_key
from bot.providers.base import FieldKind, FieldValue, Form


def _raw(action: Mapping[str, Any]) -> str:
    selected = action.get("selected_option")
    if isinstance(selected, Mapping):
        return str(selected.get("value") or "")
    return str(action.get("value") or "")


def read_values(form: Form, state: Mapping[str, Any]) -> dict[str, FieldValue]:
    """Field key → trimmed value for every field of ``form`` found in ``view.state.values``.

    E-mail lists become tuples; empty inputs are left out.
    """
    values: dict[str, FieldValue] = {}
    fields = {field.key: field for field in form.fields}
    for block_id, actions in state.items():
        key = field_key(block_id)
        field = fields.get(key) if key else None
        if field is None or not isinstance(actions, Mapping):
            continue
        action = actions.get(ActionId.VALUE)
        if not isinstance(action, Mapping):
            continue
        if field.kind is FieldKind.CHECKBOXES:
            chosen = tuple(str(o.get("value")) for o in action.get("selected_options") or [])
            values[field.key] = chosen
            continue
        text = _raw(action).strip()
        if not text:
            continue
        if field.kind is FieldKind.EMAILS:
            values[field.key] = tuple(
                part.strip()
                for part in text.replace(";", ",").replace("\n", ",").split(",")
                if part.strip()
            )
        else:
            values[field.key] = text
    return values


def read_loose_values(state: Mapping[str, Any]) -> dict[str, FieldValue]:
    """Every field value in the state, without a form: to carry text across a provider switch."""
    values: dict[str, FieldValue] = {}
    for block_id, actions in state.items():
        key = field_key(block_id)
        action = actions.get(ActionId.VALUE) if key and isinstance(actions, Mapping) else None
        if key and isinstance(action, Mapping) and (text := _raw(action).strip()):
            values[key] = text
    return values


def read_provider(state: Mapping[str, Any]) -> str | None:
    """The provider chosen in the picker, if the modal has one."""
    block = state.get(BlockId.PROVIDER)
    action = block.get(ActionId.PROVIDER) if isinstance(block, Mapping) else None
    return (_raw(action) or None) if isinstance(action, Mapping) else None
