"""Telling Slack how a submission went: the card in the channel or thread, and the modal.

Used by the submit listener for the first attempt and by the retry worker for the rest, so a
ticket's card moves from "Queued…" to the ticket card in place (``chat.update``).
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.domain.drafts import Draft
from bot.domain.errors import AdminFixable
from bot.domain.records import Submission, TicketRecord
from bot.domain.tickets import StaffMessage
from bot.slack.alert_thread import AlertThread
from bot.slack.delivery import Posted, post_where_seen
from bot.slack.details import SlackDetails
from bot.slack.edits import PacedEdits
from bot.slack.home import refresh_home
from bot.slack.seal import RETRY_PURPOSE, UNSURE_PURPOSE
from bot.slack.views.disclosure import redacted_text
from bot.slack.views.errors import error_text
from bot.slack.views.text import escape
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
from bot.tickets.outcomes import Filed, GaveUp, Outcome, Queued, Unsure, reference

log = logging.getLogger(__name__)
ADMIN_ALERT_EVERY = 3600.0
FEATURE_NOTICE_EVERY = 86_400.0
CARD_RETRY_MAX = 600.0  # an owed card is tried at least this often…
CARD_RETRY_FOR = 86_400.0  # …for a day after filing
CARD_LOOKBACK = 5.0  # an owed card is looked for in messages from this long before its ticket


def _slack_error(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error"))
    return type(exc).__name__


def connect(deps: Deps) -> Announcer:
    """The services' way to tell people: one Announcer (and the Slack details a draft gets
    before filing), handed to the filing service once per process."""
    if not isinstance(announcer := deps.filing.told, Announcer):
        announcer = Announcer(deps)
        deps.filing.tell_with(announcer, SlackDetails(deps.users, deps.slack))
        deps.tells_alerts = AlertThread(deps.slack, PacedEdits(deps.slack, deps.jobs.spawn))
    return announcer


class Announcer:
    """``Announces`` in Slack: the card, the modal, the thread, the admin channel."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @property
    def _slack(self) -> AsyncWebClient:
        return self._deps.slack

    async def outcome(self, outcome: Outcome, *, view_id: str | None) -> None:
        kind = type(outcome).__name__.lower().replace("gaveup", "gave_up")
        self._deps.metrics.tickets.labels(outcome.draft.provider, kind).inc()
        if isinstance(outcome, Filed):
            await self.filed(outcome, view_id=view_id)
        elif isinstance(outcome, Queued):
            await self.queued(outcome, view_id=view_id)
        elif isinstance(outcome, Unsure):
            await self.unsure(outcome, view_id=view_id)
        else:
            await self.gave_up(outcome, view_id=view_id)

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
            self._deps.responses,
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
            await self._deps.modals.update(
                self._slack,
                view_id=view_id,
                view=message_modal(draft.context, text),
                opener=draft.filer.user_id,
            )

    async def filed(self, filed: Filed, *, view_id: str | None) -> None:
        """The ticket card, then the modal. The ticket exists: if Slack will not take the card
        now, the modal and a private message still give the filer its number, and the card
        is owed (``post_owed_card``); never "submit again"."""
        provider = self._deps.filing.provider(filed.draft.provider)
        record = filed.record
        text, blocks = ticket_card_of(record, provider.title, status=record.status)
        headline = filed_text(
            title=provider.title, number=record.number, url=record.url, where=None
        )
        try:
            posted = await self._card(filed.submission, filed.draft, text, blocks)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            first = self._deps.filing.policy.base_delay
            await self._deps.store.owe_card(record.id, time.time() + first)
            self._deps.filing.on_scheduled()  # the retry worker posts owed cards too
            log.warning(
                "filed, but the card could not be posted; it will be tried again",
                extra={"ticket": record.number, "error": _slack_error(exc)},
            )
            later = "The card could not be posted in the channel yet; the bot keeps trying."
            await self._tell_privately(filed.draft, f"{headline}\n{later}")
            await self._modal(view_id, filed.draft, f"{headline}\n{later}")
            await step_succeeded(self._slack, filed.draft.context.step, record, None)
            return
        where = posted.note
        if posted.ts is None:  # only the filer saw it, privately: no card is owed any more
            await self._deps.store.owe_card(record.id, None)
        else:
            await self._deps.store.set_card(
                record.id,
                channel_id=posted.channel_id,
                card_ts=posted.ts,
                thread_ts=posted.thread_ts or posted.ts,
            )
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
                text=redacted_text(filed.redacted, provider.title),
            )
        await self._modal(
            view_id,
            filed.draft,
            filed_text(title=provider.title, number=record.number, url=record.url, where=where),
        )
        thread = (posted.thread_ts or posted.ts) if posted.ts else None
        await step_succeeded(self._slack, filed.draft.context.step, record, thread)
        await refresh_home(self._deps, record.team_id, record.filed_by)

    async def _tell_privately(self, draft: Draft, text: str) -> None:
        """An ephemeral message where the filer filed from, else a DM; best effort."""
        ctx = draft.context
        try:
            if await self._deps.responses.send(
                ctx.response_url, text=text, response_type="ephemeral"
            ):
                return
            await self._slack.chat_postMessage(channel=draft.filer.user_id, text=text)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not tell the filer privately", extra={"error": _slack_error(exc)})

    async def post_owed_card(self, record: TicketRecord) -> None:
        """Post a card Slack would not take at filing time; later again if it still will not
        (backing off to every 10 minutes, for a day)."""
        title = (
            self._deps.providers[record.provider].title
            if record.provider in self._deps.providers
            else record.provider
        )
        text, blocks = ticket_card_of(record, title, status=record.status)
        headline = ticket_headline(title=title, number=record.number, url=record.url)
        if (ts := await self._card_in_channel(record, headline)) is not None:
            # NOTE: a process that stopped between posting the card and saving where it went
            assert record.channel_id is not None
            await self._deps.store.set_card(
                record.id,
                channel_id=record.channel_id,
                card_ts=ts,
                thread_ts=record.thread_ts or ts,
            )
            return
        try:
            posted = await post_where_seen(
                self._slack,
                self._deps.responses,
                channel_id=record.channel_id,
                thread_ts=record.thread_ts,
                user_id=record.filed_by,
                response_url=None,
                text=text,
                blocks=blocks,
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            age = time.time() - record.created_at
            retry = (
                None
                if age > CARD_RETRY_FOR
                else time.time()
                + min(CARD_RETRY_MAX, max(self._deps.filing.policy.base_delay, age / 2))
            )
            await self._deps.store.owe_card(record.id, retry)
            log.warning(
                "card still not posted",
                extra={
                    "ticket": record.number,
                    "error": _slack_error(exc),
                    "again": retry is not None,
                },
            )
            return
        if posted.ts is None:  # only the filer saw it: nothing to follow in a thread
            await self._deps.store.owe_card(record.id, None)
            return
        await self._deps.store.set_card(
            record.id,
            channel_id=posted.channel_id,
            card_ts=posted.ts,
            thread_ts=posted.thread_ts or posted.ts,
        )

    async def _card_in_channel(self, record: TicketRecord, headline: str) -> str | None:
        """The ts of this ticket's card if Slack has it already (posted by a process that
        stopped before it could save where), looked up in the channel or thread it was filed
        in since the ticket was recorded; None if there is none, or Slack cannot say."""
        if not record.channel_id:
            return None
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
        except (SlackApiError, aiohttp.ClientError, TimeoutError):
            return None  # NOTE: a card twice is better than none
        for message in found.get("messages") or []:
            if headline in str(message.get("text") or ""):
                return str(message["ts"])
        return None

    async def unsure(self, unsure: Unsure, *, view_id: str | None) -> None:
        """The card with the filer's two choices, in place of the queued card if there was
        one; the modal says the same, and that submitting again files nothing."""
        provider = self._deps.filing.provider(unsure.draft.provider)
        ref = reference(unsure.submission)
        text, blocks = unsure_card(
            title=provider.title,
            subject=str(unsure.draft.values.get("subject", "")),
            reason=unsure.reason,
            reference=ref,
            filer_id=unsure.draft.filer.user_id,
            value=self._deps.seal.seal(str(unsure.submission.id), UNSURE_PURPOSE),
        )
        posted = await self._card(unsure.submission, unsure.draft, text, blocks)
        if posted.ts is not None and not unsure.submission.card_ts:
            await self._deps.store.set_submission_card(
                unsure.submission.id, channel_id=posted.channel_id, card_ts=posted.ts
            )
        await self._modal(view_id, unsure.draft, unsure_text(title=provider.title, reference=ref))
        await step_failed(
            self._slack,
            unsure.draft.context.step,
            f"{provider.title} did not answer whether ticket {ref} was filed; the card in the "
            "channel lets the filer check and choose.",
        )

    async def queued(self, queued: Queued, *, view_id: str | None) -> None:
        provider = self._deps.filing.provider(queued.draft.provider)
        text, blocks = queued_card(
            title=provider.title,
            subject=str(queued.draft.values.get("subject", "")),
            reason=queued.reason,
            attempt=queued.attempt,
            filer_id=queued.draft.filer.user_id,
            checking=queued.checking,
        )
        posted = await self._card(queued.submission, queued.draft, text, blocks)
        if posted.ts is not None and not queued.submission.card_ts:
            await self._deps.store.set_submission_card(
                queued.submission.id, channel_id=posted.channel_id, card_ts=posted.ts
            )
        await self._modal(
            view_id,
            queued.draft,
            f"{text}\nYou can close this: the card in the channel follows it.",
        )

    async def gave_up(self, gave_up: GaveUp, *, view_id: str | None) -> None:
        provider = self._deps.filing.provider(gave_up.draft.provider)
        text, blocks = gave_up_card(
            title=provider.title,
            subject=str(gave_up.draft.values.get("subject", "")),
            reason=gave_up.reason,
            filer_id=gave_up.draft.filer.user_id,
            retry_value=self._deps.seal.seal(str(gave_up.submission.id), RETRY_PURPOSE),
        )
        await self._card(gave_up.submission, gave_up.draft, text, blocks)
        await self._modal(view_id, gave_up.draft, text)
        await step_failed(
            self._slack,
            gave_up.draft.context.step,
            f"{provider.title} kept failing ({gave_up.reason}); the draft is kept on the card "
            "in the channel for Edit & retry.",
        )

    async def failed(
        self, submission: Submission, draft: Draft, error: Exception, ref: str
    ) -> None:
        """A retry the user or an admin must fix: tell the filer (thread or DM), and the
        admin channel once for configuration problems."""
        self._deps.metrics.tickets.labels(draft.provider, "failed").inc()
        is_admin = await self._deps.access.is_admin(draft.filer.user_id)
        text = error_text(error, ref=ref, is_admin=is_admin, draft_kept=False)
        await self._card(
            submission,
            draft,
            f":x: {text}",
            [{"type": "section", "text": {"type": "mrkdwn", "text": f":x: {text}"}}],
        )
        await step_failed(self._slack, draft.context.step, text)
        if isinstance(error, AdminFixable):
            await self.alert_admins(error, ref)

    async def feature_off(self, title: str, feature: str, why: str) -> None:
        """Tell the admin channel (if configured) that a provider lacks an optional endpoint:
        once per feature, when it is found out (the adapter remembers it)."""
        channel = self._deps.settings.options.admin_channel
        mark = f"feature-off:{title}:{feature}"
        if channel is None or not await self._deps.store.once(mark, every=FEATURE_NOTICE_EVERY):
            return  # NOTE: once per feature across replicas (and restarts, within a day)
        await self._slack.chat_postMessage(
            channel=channel,
            text=f":information_source: {escape(title)} has no {escape(feature)} endpoint "
            f"({escape(why)}), so the bot goes on without it. Filing is not affected. See "
            "docs/providers.md for what each endpoint serves.",
        )

    async def alert_admins(self, error: AdminFixable, ref: str) -> None:
        """Tell the admin channel (if configured) about a configuration problem, once an hour
        per kind of problem, however many users (and replicas) hit it."""
        channel = self._deps.settings.options.admin_channel
        mark = f"admin-alert:{type(error).__name__}:{error.message}"
        if channel is None or not await self._deps.store.once(mark, every=ADMIN_ALERT_EVERY):
            return
        await self._slack.chat_postMessage(
            channel=channel,
            text=":rotating_light: ticketbot needs an admin: "
            + error_text(error, ref=ref, is_admin=True, draft_kept=False),
        )

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
        await self._slack.chat_update(
            channel=ticket.channel_id, ts=ticket.card_ts, text=text, blocks=blocks
        )

    async def tickets_changed(self, team_id: str, user_id: str) -> None:
        await refresh_home(self._deps, team_id, user_id)

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
