"""``TellsAlerts`` in Slack: the ticket's thread hears that its alert fired again (one message,
edited in place) or resolved (and the card says so), and that the provider is late."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.disclosure import Redacted
from bot.domain.records import TicketRecord
from bot.slack.edits import PacedEdits
from bot.slack.views.alert_notes import fired_again_text, reminder_text, resolved_text
from bot.slack.views.disclosure import redacted_text
from bot.slack.views.ticket_card import ticket_card_of

log = logging.getLogger(__name__)


class AlertThread:
    """The notes go out paced (``PacedEdits``): in a storm a note changes many times a second,
    and only its latest text is sent."""

    def __init__(self, slack: AsyncWebClient, edits: PacedEdits) -> None:
        self._slack = slack
        self._edits = edits
        self._moved: dict[str, str] = {}  # a deleted note's ts → the note posted in its place
        self._notes: dict[int, tuple[str, str]] = {}  # ticket id → its note with an edit due

    async def alert_fired_again(
        self, ticket: TicketRecord, title: str, at: float, firings: int
    ) -> str | None:
        assert ticket.channel_id and ticket.thread_ts
        channel, thread = ticket.channel_id, ticket.thread_ts
        text = fired_again_text(at, firings)
        note = ticket.alert.note_ts if ticket.alert else None
        if note in self._moved:
            moved = self._moved.pop(note)
            self._edits.edit(channel, moved, text=text, order=firings)
            self._notes[ticket.id] = (channel, moved)
            return moved  # NOTE: the ticket records the note that took the deleted one's place
        if note:

            async def post_anew() -> None:  # NOTE: deleted by someone: post it anew
                posted = await self._slack.chat_postMessage(
                    channel=channel, thread_ts=thread, text=text
                )
                self._moved[note] = str(posted["ts"])

            self._edits.edit(channel, note, text=text, if_gone=post_anew, order=firings)
            self._notes[ticket.id] = (channel, note)
            return None
        posted = await self._slack.chat_postMessage(channel=channel, thread_ts=thread, text=text)
        return str(posted["ts"])

    async def alert_resolved(
        self, ticket: TicketRecord, title: str, at: float, lasted: str
    ) -> None:
        assert ticket.channel_id and ticket.thread_ts
        firings = ticket.alert.firings if ticket.alert else 1
        if note := self._notes.pop(ticket.id, None):
            self._edits.drop(*note)  # NOTE: the resolution says how often it fired
        await self._slack.chat_postMessage(
            channel=ticket.channel_id,
            thread_ts=ticket.thread_ts,
            text=resolved_text(at, lasted, firings),
        )
        if ticket.card_ts:
            text, blocks = ticket_card_of(ticket, title, status=ticket.status)
            self._edits.edit(
                ticket.channel_id, ticket.card_ts, urgent=True, text=text, blocks=blocks
            )

    async def no_reply_reminder(
        self, ticket: TicketRecord, title: str, waited: float, target: float
    ) -> None:
        if not (ticket.channel_id and ticket.thread_ts):
            return
        await self._slack.chat_postMessage(
            channel=ticket.channel_id,
            thread_ts=ticket.thread_ts,
            text=reminder_text(ticket.filed_by, title, waited, target),
        )

    async def redacted(self, ticket: TicketRecord, title: str, redacted: Redacted) -> None:
        if ticket.channel_id and ticket.thread_ts:
            await self._slack.chat_postMessage(
                channel=ticket.channel_id,
                thread_ts=ticket.thread_ts,
                text=redacted_text(redacted, title),
            )
