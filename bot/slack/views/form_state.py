"""Reading a submitted modal back: the inverse of ``ticket_modal``, keyed by the same IDs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.forms import FieldKind, FieldValue, Form
from bot.slack.views.ids import ActionId, BlockId, field_block_id, field_key


def _raw(action: dict[str, Any]) -> str:
    selected = action.get("selected_option")
    if isinstance(selected, dict):
        return str(selected.get("value") or "")
    return str(action.get("value") or "")


def _action(state: Mapping[str, Any], block_id: str, action_id: str) -> dict[str, Any] | None:
    """The element ``action_id`` of block ``block_id``, if the state has it.

    NOTE: checked as ``dict`` (Slack's JSON is dicts), not ``Mapping``: an ABC check costs ten
    times as much, and a submit reads a dozen of these while Slack waits for the ack.
    """
    block = state.get(block_id)
    action = block.get(action_id) if isinstance(block, dict) else None
    return action if isinstance(action, dict) else None


def read_values(form: Form, state: Mapping[str, Any]) -> dict[str, FieldValue]:
    """Field key → trimmed value for every field of ``form`` found in ``view.state.values``.

    E-mail lists become tuples; empty inputs are left out.
    """
    values: dict[str, FieldValue] = {}
    for field in form.fields:
        action = _action(state, field_block_id(field.key), ActionId.VALUE)
        if action is None:
            continue
        kind = field.kind
        if kind is FieldKind.CHECKBOXES:
            values[field.key] = _picked(action)
            continue
        text = _raw(action).strip()
        if not text:
            continue
        if kind is FieldKind.EMAILS:
            values[field.key] = tuple(
                part.strip()
                for part in text.replace(";", ",").replace("\n", ",").split(",")
                if part.strip()
            )
        else:
            values[field.key] = text
    return values


def _picked(action: dict[str, Any]) -> tuple[str, ...]:
    picked = action.get("selected_options") or []
    return tuple(str(o.get("value")) for o in picked if isinstance(o, dict))


def read_picked(state: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """The boxes ticked in field ``key``'s checkbox group (none if the modal has no such)."""
    action = _action(state, field_block_id(key), ActionId.VALUE)
    return _picked(action) if action is not None else ()


def read_loose_values(state: Mapping[str, Any]) -> dict[str, FieldValue]:
    """Every field value in the state, without a form: to carry text across a provider switch."""
    values: dict[str, FieldValue] = {}
    for block_id in state:
        key = field_key(block_id)
        action = _action(state, block_id, ActionId.VALUE) if key else None
        if key and action is not None and (text := _raw(action).strip()):
            values[key] = text
    return values


def read_provider(state: Mapping[str, Any]) -> str | None:
    """The provider chosen in the picker, if the modal has one."""
    action = _action(state, BlockId.PROVIDER, ActionId.PROVIDER)
    return (_raw(action) or None) if action is not None else None


def read_text(state: Mapping[str, Any], block_id: str) -> str:
    """The text typed in the one-input block ``block_id`` ("" if none)."""
    action = _action(state, block_id, ActionId.VALUE)
    return _raw(action) if action is not None else ""
