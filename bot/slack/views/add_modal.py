"""The *Add to a ticket* modal and its states, as pure functions: data in, Block Kit out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.additions import AddResult, AddState, MessageRef
from bot.domain.records import TicketRecord
from bot.domain.text import truncate
from bot.slack.views.blocks import Block, context, input_block, modal, option, plain, section
from bot.slack.views.disclosure import redacted_text
from bot.slack.views.ids import ActionId, BlockId, CallbackId
from bot.slack.views.text import escape, link

TITLE = "Add to a ticket"


def _modal(metadata: str, blocks: list[Block], submit: str | None = None) -> dict[str, Any]:
    return modal(
        callback_id=CallbackId.ADD_MODAL,
        title=TITLE,
        blocks=blocks,
        private_metadata=metadata,
        submit=submit,
        close="Cancel" if submit else "Close",
    )


def add_message_modal(metadata: str, text: str) -> dict[str, Any]:
    """A state that only says something (loading, adding, the outcome)."""
    return _modal(metadata, [section(text)])


def ticket_label(ticket: TicketRecord, title: str) -> str:
    return truncate(f"{title} #{ticket.number} · {ticket.subject}", 75)


def add_modal(
    metadata: str,
    message: MessageRef,
    *,
    here: Sequence[TicketRecord],
    mine: Sequence[TicketRecord],
    titles: Mapping[str, str],
    providers: Sequence[str],
) -> dict[str, Any]:
    """Pick a ticket (this channel's open ones first, then yours) or type provider and number;
    tick the files to attach."""
    blocks: list[Block] = [
        section(
            "The message's text, author, time and link go to the ticket as a comment (where the "
            "provider takes comments), and this thread then follows the ticket: status changes "
            "and staff replies come here, replies here go to the ticket."
        )
    ]
    options = [
        option(str(t.id), ticket_label(t, titles.get(t.provider, t.provider)))
        for t in (*here, *mine)
    ][:100]
    if options:
        element = {
            "type": "static_select",
            "action_id": ActionId.VALUE,
            "placeholder": plain("This channel's open tickets, then yours", 150),
            "options": options,
        }
        blocks.append(input_block(BlockId.ADD_PICK, "Ticket", element, optional=True))
    typed = {
        "type": "plain_text_input",
        "action_id": ActionId.VALUE,
        "max_length": 100,
        "placeholder": plain(f"{providers[0] if providers else 'hostup'} 10001", 150),
    }
    blocks.append(
        input_block(
            BlockId.ADD_TYPED,
            "Or type provider and number" if options else "Provider and ticket number",
            typed,
            optional=bool(options),
            hint="A ticket the bot filed: " + ", ".join(providers),
        )
    )
    if message.files:
        choices = [option(f.id, f.name) for f in message.files[:10]]
        boxes = {
            "type": "checkboxes",
            "action_id": ActionId.VALUE,
            "options": choices,
            "initial_options": choices,
        }
        blocks.append(
            input_block(BlockId.ADD_FILES, "Attach the message's files", boxes, optional=True)
        )
    return _modal(metadata, blocks, submit="Add")


def link_only_modal(metadata: str, ticket: TicketRecord, title: str) -> dict[str, Any]:
    """For a provider that takes no comments (ISPCRM): said before anything is sent."""
    name = link(ticket.url, f"{title} #{ticket.number}")
    return _modal(
        metadata,
        [
            section(
                f"{escape(title)} takes no comments through its API, so the message cannot be "
                f"added to {name}. Nothing has been sent."
            ),
            context(
                "*Link only*: this thread follows the ticket (its status changes come here) and "
                "the ticket's own thread gets a link to this message."
            ),
        ],
        submit="Link only",
    )


def added_text(result: AddResult) -> str:
    """The modal's last word on an add."""
    ticket = result.ticket
    name = link(ticket.url, f"{result.title} #{ticket.number}")
    state = result.state
    if state is AddState.REFUSED:
        return (
            f":x: {escape(result.title)} refused the comment: "
            f"{escape(truncate(result.reason or 'no reason given', 500))}. Nothing was added and "
            "the thread does not follow the ticket."
        )
    lines = {
        AddState.ADDED: f":white_check_mark: Added to {name}.",
        AddState.QUEUED: f":hourglass_flowing_sand: Saved for {name}: {escape(result.title)} is "
        "not answering, and the bot will send it when it does.",
        AddState.UNSURE: f":grey_question: Sent to {name}, but {escape(result.title)} did not "
        "answer; the bot will not send it again (check the ticket).",
        AddState.LINKED: f":link: Linked to {name}: this thread follows it now.",
        AddState.ALREADY: f"This message was added to {name} already; nothing was sent again.",
    }
    text = lines[state]
    if result.attached:
        text += "\n:paperclip: Attached: " + ", ".join(escape(a) for a in result.attached)
    if result.not_attached:
        text += "\n:heavy_minus_sign: Not attached: " + "; ".join(
            escape(truncate(n, 200)) for n in result.not_attached[:10]
        )
    if result.redacted:
        text += "\n" + redacted_text(result.redacted, result.title)
    return text


def thread_note(result: AddResult, adder_id: str) -> str:
    """The line in the message's thread: it follows the ticket now."""
    ticket = result.ticket
    name = link(ticket.url, f"{result.title} #{ticket.number}")
    if result.state is AddState.LINKED:
        return (
            f":link: <@{adder_id}> linked this message to {name}: its status changes come to "
            "this thread."
        )
    return (
        f":link: <@{adder_id}> added this message to {name}: its status changes and staff "
        "replies come to this thread, and replies here go to the ticket."
    )


def ticket_thread_note(result: AddResult, adder_id: str, message: MessageRef) -> str:
    """The line in the ticket's own thread, linking the message."""
    what = link(message.permalink, "a message")
    verb = "linked" if result.state is AddState.LINKED else "added"
    where = f"<#{message.channel_id}>"
    return f":heavy_plus_sign: <@{adder_id}> {verb} {what} from {where} to this ticket."
