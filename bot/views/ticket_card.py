"""The ticket card posted in the channel (or the alert's thread), and the filing messages."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.views.text import escape, truncate


def ticket_headline(*, title: str, number: str, url: str | None) -> str:
    label = f"{escape(title)} ticket #{escape(number)}"
    return f"<{url}|{label}>" if url else label


def ticket_card(
    *,
    title: str,
    number: str,
    url: str | None,
    subject: str,
    priority: str | None,
    status: str | None,
    filer_id: str,
) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks: "HostUp ticket #10001 · high · <subject> · filed by @user"."""
    parts = [ticket_headline(title=title, number=number, url=url)]
    if priority:
        parts.append(escape(priority))
    parts.append(escape(truncate(subject, 300)))
    parts.append(f"filed by <@{filer_id}>")
    text = " · ".join(parts)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=f":ticket: {text}"))]
    if status:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"Status: *{escape(status)}* · updates follow in this thread"
                    )
                ]
            )
        )
    return text, [b.to_dict() for b in blocks]


def filed_text(*, title: str, number: str, url: str | None, where: str | None) -> str:
    """What the modal says once the ticket exists."""
    text = f":white_check_mark: Filed {ticket_headline(title=title, number=number, url=url)}."
    if where:
        text += f"\n{where}"
    return text
