"""The ephemeral prompt a reactor gets: *File a ticket* about the message they reacted to."""

from __future__ import annotations

from typing import Any

from bot.slack.views.blocks import actions, button, context, section
from bot.slack.views.ids import ActionId, BlockId
from bot.slack.views.text import escape


def file_prompt(
    value: str,
    *,
    reason: str | None,
    notice: str | None,
    offer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``text`` and ``blocks`` for chat.postEphemeral; ``value``: the sealed message id;
    ``reason``: why it was not filed at once; ``notice``: an earlier ticket for this alert;
    ``offer``: a first choice before filing anew (*Add to HostUp #10001*)."""
    text = "File a ticket about this message?"
    if offer is not None:
        text = "Add this message to the alert's open ticket, or file a new one?"
    blocks = [section(text)]
    if reason:
        blocks.append(context(f"Not filed at once: {escape(reason)}"))
    if notice:
        blocks.append(context(notice))
    if offer is None:
        choices = [button(ActionId.FILE_FROM_REACTION, "File a ticket", value, style="primary")]
    else:
        choices = [offer, button(ActionId.FILE_FROM_REACTION, "File a new ticket", value)]
    blocks.append(actions(BlockId.REACTION, *choices))
    return {"text": text, "blocks": blocks}
