"""Block Kit as plain dicts: the few shapes ticketbot uses, each bounded to Slack's limits.

NOTE: building views through ``slack_sdk.models`` re-validates every attribute on every
``to_dict()``; under load that was 15% of the bot's CPU (bench/run.py, py-spy). These builders
cut every text to Slack's limits instead, and tests/test_views.py runs each view through
``slack_sdk.models`` and the fake Slack's checker, so a broken limit still fails a unit test.
"""

from __future__ import annotations

from typing import Any

from bot.domain.text import truncate
from bot.slack.views.text import strip_invisible

Block = dict[str, Any]


def plain(text: str, limit: int = 3000) -> dict[str, Any]:
    text = truncate(strip_invisible(text), limit)
    return {"type": "plain_text", "text": text or " ", "emoji": True}


def mrkdwn(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(strip_invisible(text), limit) or " "}


def section(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    return block


def context(*texts: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "context", "elements": [mrkdwn(t, 2000) for t in texts[:10]]}
    if block_id:
        block["block_id"] = block_id
    return block


def option(value: str, label: str) -> dict[str, Any]:
    return {"text": plain(label, 75), "value": value[:150]}


def button(action_id: str, text: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain(text, 75),
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    return element


def actions(block_id: str, *elements: dict[str, Any]) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch: bool = False,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    if dispatch:
        block["dispatch_action"] = True
    return block


def modal(
    *,
    callback_id: str,
    title: str,
    blocks: list[Block],
    private_metadata: str,
    submit: str | None = None,
    close: str = "Cancel",
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "close": plain(close, 24),
        "blocks": blocks[:100],
        "private_metadata": private_metadata,
    }
    if submit:
        view["submit"] = plain(submit, 24)
    return view
