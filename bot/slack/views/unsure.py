"""When the bot cannot tell whether a ticket was filed: the card that says so, with the
filer's two choices, and the modal for the number they found."""

from __future__ import annotations

from typing import Any

from bot.domain.text import truncate
from bot.slack.views.blocks import (
    Block,
    actions,
    button,
    context,
    input_block,
    modal,
    plain,
    section,
)
from bot.slack.views.ids import ActionId, BlockId, CallbackId
from bot.slack.views.text import escape


def unsure_card(
    *, title: str, subject: str, reason: str, reference: str, filer_id: str, value: str
) -> tuple[str, list[Block]]:
    """ "Unsure: check HostUp before filing again", with *It was filed* and *File it now*
    (``value``: the submission's id, sealed)."""
    text = (
        f":grey_question: Unsure: check {escape(title)} before filing again. "
        f"{escape(truncate(subject, 300))} · filed by <@{filer_id}>"
    )
    return text, [
        section(text),
        context(
            f"The request reached {escape(title)} but no answer came back "
            f"({escape(truncate(reason, 300))}), and the bot cannot look it up, so it will not "
            f"send it again by itself. If it arrived, its text ends with *ticketbot ref "
            f"{escape(reference)}*."
        ),
        actions(
            BlockId.UNSURE,
            button(ActionId.UNSURE_WAS_FILED, "It was filed (enter number)", value),
            button(ActionId.UNSURE_FILE_NOW, "File it now", value, style="primary"),
        ),
    ]


def unsure_text(*, title: str, reference: str) -> str:
    """What the modal says while the submission is unsure."""
    return (
        f":grey_question: Unsure whether {escape(title)} filed this ticket: it got the request "
        f"but never answered. Check {escape(title)} for *ticketbot ref {escape(reference)}*, "
        "then use the buttons on the message the bot posted: *It was filed* or *File it now*. "
        "Submitting this form again will not file a second one."
    )


def number_modal(*, title: str, metadata: str) -> dict[str, Any]:
    """Asks for the number of the ticket the filer found at the provider."""
    element = {
        "type": "plain_text_input",
        "action_id": ActionId.VALUE,
        "max_length": 60,
        "placeholder": plain(f"The {title} ticket number", 150),
    }
    blocks: list[Block] = [
        section(f"Which {escape(title)} ticket is it? The bot will follow that one."),
        input_block(BlockId.NUMBER, "Ticket number", element),
    ]
    return modal(
        callback_id=CallbackId.FILED_NUMBER,
        title="It was filed",
        blocks=blocks,
        private_metadata=metadata,
        submit="Save",
    )
