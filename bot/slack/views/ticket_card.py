"""The ticket card posted in the channel (or the alert's thread), and the filing messages."""

from __future__ import annotations

from bot.domain.records import AlertPhase, TicketRecord
from bot.domain.text import truncate
from bot.slack.views.blocks import Block, actions, button, context, section
from bot.slack.views.ids import ActionId, BlockId
from bot.slack.views.text import escape, link


def ticket_headline(*, title: str, number: str, url: str | None) -> str:
    return link(url, f"{title} ticket #{number}")


def ticket_card(
    *,
    title: str,
    number: str,
    url: str | None,
    subject: str,
    priority: str | None,
    status: str | None,
    filer_id: str,
) -> tuple[str, list[Block]]:
    """Fallback text and blocks: "HostUp ticket #10001 · high · <subject> · filed by @user"."""
    parts = [ticket_headline(title=title, number=number, url=url)]
    if priority:
        parts.append(escape(priority))
    parts.append(escape(truncate(subject, 300)))
    parts.append(f"filed by <@{filer_id}>")
    text = " · ".join(parts)
    blocks: list[Block] = [section(f":ticket: {text}")]
    if status:
        blocks.append(context(f"Status: *{escape(status)}* · updates follow in this thread"))
    return text, blocks


def ticket_card_of(
    record: TicketRecord, title: str, *, status: str | None
) -> tuple[str, list[Block]]:
    """``ticket_card`` for a recorded ticket (``status``: the line under it, if any), and
    *alert resolved* once its alert is."""
    text, blocks = ticket_card(
        title=title,
        number=record.number,
        url=record.url,
        subject=record.subject,
        priority=record.priority,
        status=status,
        filer_id=record.filed_by,
    )
    if record.alert is not None and record.alert.phase is AlertPhase.RESOLVED:
        blocks.append(context(":white_check_mark: alert resolved"))
    return text, blocks


def filed_text(*, title: str, number: str, url: str | None, where: str | None) -> str:
    """What the modal says once the ticket exists."""
    text = f":white_check_mark: Filed {ticket_headline(title=title, number=number, url=url)}."
    if where:
        text += f"\n{where}"
    return text


def queued_card(
    *, title: str, subject: str, reason: str, attempt: int, filer_id: str, checking: bool = False
) -> tuple[str, list[Block]]:
    """While retrying: "Queued: HostUp is not answering, retrying (attempt 3)"; ``checking``:
    a create went out unanswered, so the ticket may exist already and the bot looks first."""
    who = escape(title)
    if checking:
        status = (
            f"Checking: this ticket may already exist at {who} (a request went out and no "
            f"answer came back). The bot is looking for it in {who}'s ticket list before it "
            f"files again (attempt {attempt})"
        )
        after = (
            "It files again only once it has found no such ticket; if it cannot tell, you decide."
        )
    else:
        status = f"Queued: {who} is not answering, retrying (attempt {attempt})"
        after = "Nothing is lost: the draft is saved and the bot keeps trying."
    text = (
        f":hourglass_flowing_sand: {status} · {escape(truncate(subject, 300))} · "
        f"filed by <@{filer_id}>"
    )
    return text, [section(text), context(f"Last answer: {escape(truncate(reason, 500))}. {after}")]


def gave_up_card(
    *, title: str, subject: str, reason: str, filer_id: str, retry_value: str
) -> tuple[str, list[Block]]:
    """After the retry window: says so, and offers "Edit & retry" with the stored draft
    (``retry_value``: the submission's id, sealed)."""
    text = (
        f":warning: Could not file with {escape(title)}: it kept failing "
        f"({escape(truncate(reason, 300))}). {escape(truncate(subject, 300))} · "
        f"filed by <@{filer_id}>. The draft is kept."
    )
    return text, [
        section(text),
        actions(
            BlockId.RETRY,
            button(ActionId.EDIT_RETRY, "Edit & retry", retry_value, style="primary"),
        ),
    ]


def status_reply(*, title: str, number: str, old: str | None, new: str) -> str:
    """The thread reply when the provider's status changes: "HostUp #10001: open → answered"."""
    return f"{escape(title)} #{escape(number)}: {escape(old or 'unknown')} → *{escape(new)}*"


def staff_reply(*, title: str, number: str, url: str | None, author: str, body: str) -> str:
    """A staff message, trimmed and escaped, with a link to the full ticket."""
    full = f" · {link(url, 'full ticket')}" if url else ""
    return (
        f":speech_balloon: *{escape(truncate(author, 80))}* on {escape(title)} "
        f"#{escape(number)}:\n>{escape(truncate(body, 1500)).replace(chr(10), chr(10) + '>')}"
        f"{full}"
    )


def files_note(attached: tuple[str, ...], not_attached: tuple[str, ...]) -> str:
    """The thread reply that says which of the message's files reached the ticket."""
    lines = []
    if attached:
        lines.append(
            ":paperclip: Attached to the ticket: " + ", ".join(escape(a) for a in attached)
        )
    if not_attached:
        lines.append(
            ":heavy_minus_sign: Not attached: "
            + "; ".join(escape(truncate(n, 200)) for n in not_attached[:10])
        )
    return "\n".join(lines)
