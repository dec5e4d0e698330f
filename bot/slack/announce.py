"""Telling Slack how a submission went: the card in the channel or thread, the modal, the
workflow step, and later the thread. Speaks Slack only: where a card went is recorded by the
service that calls it (``tickets/cards.py``).

Used for the first attempt and by the retry worker for the rest, so a ticket's card moves from
"Queued…" to the ticket card in place (``chat.update``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.drafts import Draft
from bot.domain.records import Submission, TicketRecord
from bot.domain.tickets import StaffMessage
from bot.providers.base import Provider
from bot.slack.access import Access
from bot.slack.delivery import post_where_seen
from bot.slack.edits import PacedEdits
from bot.slack.home import HomeTab
from bot.slack.modals import Modals
from bot.slack.outbound import ResponseUrls
from bot.slack.seal import RETRY_PURPOSE, UNSURE_PURPOSE, Seal
from bot.slack.views.disclosure import redacted_text
from bot.slack.views.errors import error_text
from bot.slack.views.text import link as text_link
from bot.slack.views.ticket_card import (
    filed_text,
    files_note,
    gave_up_card,
    queued_card,
    staff_reply,
    status_reply,
    ticket_card_of,
    ticket_headline,
)
from bot.slack.views.ticket_modal import message_modal
from bot.slack.views.unsure import unsure_card, unsure_text
from bot.slack.workflow_step import step_failed, step_succeeded
from bot.tickets.outcomes import (
    CardRefused,
    Filed,
    GaveUp,
    Outcome,
    Posted,
    Queued,
    Unsure,
    reference,
)

log = logging.getLogger(__name__)
CARD_LOOKBACK = 5.0  # an owed card is looked for in messages from this long before its ticket
NOT_POSTED = (SlackApiError, aiohttp.ClientError, TimeoutError)


def _slack_error(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error"))
    return type(exc).__name__


class Announcer:
    """``ShowsOutcomes`` and ``TellsChanges`` in Slack: the card, the modal, the step, the
    thread, the App Home."""

    def __init__(
        self,
        slack: AsyncWebClient,
        edits: PacedEdits,
        responses: ResponseUrls,
        modals: Modals,
        seal: Seal,
        providers: Mapping[str, Provider],
        access: Access,
        home: HomeTab,
    ) -> None:
        self._slack = slack
        self._edits = edits
        self._responses = responses
        self._modals = modals
        self._seal = seal
        self._providers = providers
        self._access = access
        self._home = home

    def _title(self, name: str) -> str:
        provider = self._providers.get(name)
        return provider.title if provider is not None else name

    async def card(self, outcome: Outcome) -> Posted:
        text, blocks = self._card_of(outcome)
        if not isinstance(outcome, Filed):
            return await self._card(outcome.submission, outcome.draft, text, blocks)
        try:
            return await self._card(outcome.submission, outcome.draft, text, blocks)
        except NOT_POSTED as exc:
            raise CardRefused(_slack_error(exc)) from exc

    def _card_of(self, outcome: Outcome) -> tuple[str, list[dict[str, Any]]]:
        title = self._title(outcome.draft.provider)
        draft = outcome.draft
        subject = str(draft.values.get("subject", ""))
        if isinstance(outcome, Filed):
            return ticket_card_of(outcome.record, title, status=outcome.record.status)
        if isinstance(outcome, Queued):
            return queued_card(
                title=title,
                subject=subject,
                reason=outcome.reason,
                attempt=outcome.attempt,
                filer_id=draft.filer.user_id,
                checking=outcome.checking,
            )
        if isinstance(outcome, Unsure):
            return unsure_card(
                title=title,
                subject=subject,
                reason=outcome.reason,
                reference=reference(outcome.submission),
                filer_id=draft.filer.user_id,
                value=self._seal.seal(str(outcome.submission.id), UNSURE_PURPOSE),
            )
        return gave_up_card(
            title=title,
            subject=subject,
            reason=outcome.reason,
            filer_id=draft.filer.user_id,
            retry_value=self._seal.seal(str(outcome.submission.id), RETRY_PURPOSE),
        )

    async def tell(self, outcome: Outcome, card: Posted | None, *, view_id: str | None) -> None:
        title = self._title(outcome.draft.provider)
        if isinstance(outcome, Filed):
            if card is None:
                await self._filed_privately(outcome, title, view_id)
            else:
                await self._filed(outcome, title, card, view_id)
        elif isinstance(outcome, Queued):
            text, _ = self._card_of(outcome)
            await self._modal(
                view_id,
                outcome.draft,
                f"{text}\nYou can close this: the card in the channel follows it.",
            )
        elif isinstance(outcome, Unsure):
            ref = reference(outcome.submission)
            await self._modal(view_id, outcome.draft, unsure_text(title=title, reference=ref))
            await step_failed(
                self._slack,
                outcome.draft.context.step,
                f"{title} did not answer whether ticket {ref} was filed; the card in the "
                "channel lets the filer check and choose.",
            )
        else:
            await self._gave_up(outcome, title, view_id)

    async def _card(
        self, submission: Submission, draft: Draft, text: str, blocks: list[dict[str, Any]]
    ) -> Posted:
        """Post the submission's card, or update it in place if it has one already."""
        if submission.card_channel and submission.card_ts:
            try:
                await self._slack.chat_update(
                    channel=submission.card_channel, ts=submission.card_ts, text=text, blocks=blocks
                )
                ctx = draft.context
                return Posted(
                    channel_id=submission.card_channel,
                    ts=submission.card_ts,
                    thread_ts=ctx.thread_ts or submission.card_ts,
                )
            except SlackApiError as exc:
                log.info(
                    "could not update the card; posting anew",
                    extra={"error": exc.response.get("error")},
                )
        ctx = draft.context
        return await post_where_seen(
            self._slack,
            self._responses,
            channel_id=ctx.channel_id,
            thread_ts=ctx.thread_ts,
            user_id=draft.filer.user_id,
            response_url=ctx.response_url,
            text=text,
            blocks=blocks,
        )

    async def _modal(self, view_id: str | None, draft: Draft, text: str) -> None:
        if not view_id:
            return
        # NOTE: the user may have closed the modal; the card says the same thing.
        with contextlib.suppress(SlackApiError):
            await self._modals.update(
                self._slack,
                view_id=view_id,
                view=message_modal(draft.context, text),
                opener=draft.filer.user_id,
            )

    async def _filed_privately(self, filed: Filed, title: str, view_id: str | None) -> None:
        """The card is owed: the modal and a private message still give the filer its
        number; never "submit again"."""
        record = filed.record
        headline = filed_text(title=title, number=record.number, url=record.url, where=None)
        later = "The card could not be posted in the channel yet; the bot keeps trying."
        await self._tell_privately(filed.draft, f"{headline}\n{later}")
        await self._modal(view_id, filed.draft, f"{headline}\n{later}")
        await step_succeeded(self._slack, filed.draft.context.step, record, None)

    async def _filed(self, filed: Filed, title: str, posted: Posted, view_id: str | None) -> None:
        """After the ticket card: the thread's notes, the modal, the step, the App Home."""
        record = filed.record
        where = posted.note
        if posted.ts is not None:
            where = f"Posted in <#{posted.channel_id}>; follow-ups go to its thread."
            with contextlib.suppress(SlackApiError):
                link = await self._slack.chat_getPermalink(
                    channel=posted.channel_id, message_ts=posted.ts
                )
                where = (
                    f"Posted in <#{posted.channel_id}>; follow-ups go to "
                    f"{text_link(str(link['permalink']), 'its thread')} (see the thread)."
                )
        if posted.ts is not None and (filed.ref.attached or filed.ref.not_attached):
            await self._slack.chat_postMessage(
                channel=posted.channel_id,
                thread_ts=posted.thread_ts or posted.ts,
                text=files_note(filed.ref.attached, filed.ref.not_attached),
            )
        if posted.ts is not None and filed.redacted:
            await self._slack.chat_postMessage(
                channel=posted.channel_id,
                thread_ts=posted.thread_ts or posted.ts,
                text=redacted_text(filed.redacted, title),
            )
        await self._modal(
            view_id,
            filed.draft,
            filed_text(title=title, number=record.number, url=record.url, where=where),
        )
        thread = (posted.thread_ts or posted.ts) if posted.ts else None
        await step_succeeded(self._slack, filed.draft.context.step, record, thread)
        await self._home.refresh(record.team_id, record.filed_by)

    async def _tell_privately(self, draft: Draft, text: str) -> None:
        """An ephemeral message where the filer filed from, else a DM; best effort."""
        ctx = draft.context
        try:
            if await self._responses.send(ctx.response_url, text=text, response_type="ephemeral"):
                return
            await self._slack.chat_postMessage(channel=draft.filer.user_id, text=text)
        except NOT_POSTED as exc:
            log.warning("could not tell the filer privately", extra={"error": _slack_error(exc)})

    async def owed_card(self, record: TicketRecord) -> Posted:
        text, blocks = ticket_card_of(record, self._title(record.provider), status=record.status)
        try:
            return await post_where_seen(
                self._slack,
                self._responses,
                channel_id=record.channel_id,
                thread_ts=record.thread_ts,
                user_id=record.filed_by,
                response_url=None,
                text=text,
                blocks=blocks,
            )
        except NOT_POSTED as exc:
            raise CardRefused(_slack_error(exc)) from exc

    async def card_in_channel(self, record: TicketRecord) -> str | None:
        """The ts of this ticket's card if Slack has it already (posted by a process that
        stopped before it could save where), looked up in the channel or thread it was filed
        in since the ticket was recorded; None if there is none, or Slack cannot say."""
        if not record.channel_id:
            return None
        title = self._title(record.provider)
        headline = ticket_headline(title=title, number=record.number, url=record.url)
        since = f"{record.created_at - CARD_LOOKBACK:.6f}"
        try:
            if record.thread_ts:
                found = await self._slack.conversations_replies(
                    channel=record.channel_id, ts=record.thread_ts, oldest=since, limit=200
                )
            else:
                found = await self._slack.conversations_history(
                    channel=record.channel_id, oldest=since, limit=200
                )
        except NOT_POSTED:
            return None  # NOTE: a card twice is better than none
        for message in found.get("messages") or []:
            if headline in str(message.get("text") or ""):
                return str(message["ts"])
        return None

    async def _gave_up(self, gave_up: GaveUp, title: str, view_id: str | None) -> None:
        text, _ = self._card_of(gave_up)
        await self._modal(view_id, gave_up.draft, text)
        await step_failed(
            self._slack,
            gave_up.draft.context.step,
            f"{title} kept failing ({gave_up.reason}); the draft is kept on the card "
            "in the channel for Edit & retry.",
        )

    async def failed(
        self, submission: Submission, draft: Draft, error: Exception, ref: str
    ) -> None:
        """A retry the user or an admin must fix: tell the filer (thread or DM)."""
        is_admin = await self._access.is_admin(draft.filer.user_id)
        text = error_text(error, ref=ref, is_admin=is_admin, draft_kept=False)
        await self._card(
            submission,
            draft,
            f":x: {text}",
            [{"type": "section", "text": {"type": "mrkdwn", "text": f":x: {text}"}}],
        )
        await step_failed(self._slack, draft.context.step, text)

    async def status_changed(
        self, ticket: TicketRecord, title: str, old: str | None, new: str
    ) -> None:
        assert ticket.channel_id and ticket.thread_ts
        await self._slack.chat_postMessage(
            channel=ticket.channel_id,
            thread_ts=ticket.thread_ts,
            text=status_reply(title=title, number=ticket.number, old=old, new=new),
        )
        if ticket.card_ts is None:
            return  # NOTE: a thread that follows the ticket from an added message has no card
        text, blocks = ticket_card_of(ticket, title, status=new)
        # NOTE: paced with the bot's other edits; a card someone deleted is logged, not retried
        self._edits.edit(ticket.channel_id, ticket.card_ts, urgent=True, text=text, blocks=blocks)

    async def tickets_changed(self, team_id: str, user_id: str) -> None:
        await self._home.refresh(team_id, user_id)

    async def staff_message(self, ticket: TicketRecord, title: str, message: StaffMessage) -> None:
        assert ticket.channel_id and ticket.thread_ts
        await self._slack.chat_postMessage(
            channel=ticket.channel_id,
            thread_ts=ticket.thread_ts,
            unfurl_links=False,
            text=staff_reply(
                title=title,
                number=ticket.number,
                url=ticket.url,
                author=message.author,
                body=message.body,
            ),
        )
