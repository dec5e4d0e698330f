"""The ticket modal's submit: check inline, persist, ack with "Filing…", file, show the result.

Everything before the ack draws from one budget (``bot.slack.budget``): the checks run as one
task, and if it has not answered by the deadline the submit is acked with "Checking…" and the
task's answer reaches the modal after the ack (``views.update``): the form again with its
errors and what was typed, or "Filing…". Nothing acks late.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.drafts import Draft, ModalContext, submission_key
from bot.domain.errors import FieldErrors, FormUnavailable, NotAllowed
from bot.domain.forms import FieldValue, Form
from bot.domain.records import SubmissionState
from bot.domain.tickets import Filer
from bot.slack.budget import ack_deadline, left
from bot.slack.context import SlackContext
from bot.slack.listeners.disclosure import with_notice
from bot.slack.listeners.jobs import after_ack
from bot.slack.listeners.payload import payload_filer, view_state
from bot.slack.modals import ForeignModal
from bot.slack.views.disclosure import AS_TYPED
from bot.slack.views.form_state import read_picked, read_provider, read_values
from bot.slack.views.ids import BlockId, CallbackId, field_block_id, field_key
from bot.slack.views.text import escape
from bot.slack.views.ticket_modal import message_modal, ticket_modal
from bot.slack.views.unsure import unsure_text
from bot.tickets.drafting import FilerForm, Unseen
from bot.tickets.outcomes import reference

# NOTE: inside the one ack budget, saving the submission may take at most this long (a locked
# or unreachable database), so a busy database is answered "busy" while the person still looks.
STORE_WAIT_SECONDS = 1.0
log = logging.getLogger(__name__)
BUSY = "The bot's database is busy. Submit again in a moment: what you typed is kept."


@dataclass
class Answer:
    """How a submit is answered: inline ``errors`` (by field key) on the ``form`` as typed
    (``values``), or a ``view`` to show instead; then ``work`` to start once acked."""

    ctx: ModalContext
    errors: dict[str, str] = field(default_factory=dict)
    view: dict[str, Any] | None = None
    form: Form | None = None
    values: dict[str, FieldValue] = field(default_factory=dict)
    work: Coroutine[Any, Any, None] | None = None


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.view(CallbackId.TICKET_MODAL)
    async def handle_ticket_submission(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        deadline = ack_deadline(context)
        filer = payload_filer(body)
        view_id = str(body["view"]["id"])
        checking = asyncio.ensure_future(_answer(deps, body, filer))
        done, _ = await asyncio.wait({checking}, timeout=left(deadline))
        if checking in done:
            answer = checking.result()
            await _ack(deps, ack, answer, filer.user_id)
        else:  # NOTE: the budget ran out: ack now, answer in the modal once the checks end
            log.info("submit checked after its ack", extra={"over_budget": True})
            await ack(
                response_action="update",
                view=deps.modals.sealed(
                    message_modal(ModalContext(), ":hourglass_flowing_sand: Checking your ticket…"),
                    filer.user_id,
                ),
            )
            context["view_id"] = view_id
            after_ack(deps, client, body, context, _late(deps, client, checking, filer, view_id))
            return
        if answer.work is not None:
            context["view_id"] = view_id
            after_ack(deps, client, body, context, answer.work, deferred=True)


async def _ack(deps: SlackContext, ack: AsyncAck, answer: Answer, opener: str) -> None:
    if answer.errors:
        await ack(response_action="errors", errors=_by_block(answer))
    else:
        assert answer.view is not None
        await ack(response_action="update", view=deps.modals.sealed(answer.view, opener))


async def _late(
    deps: SlackContext,
    client: AsyncWebClient,
    checking: asyncio.Future[Answer],
    filer: Filer,
    view_id: str,
) -> None:
    """The checks' answer after the ack: the modal updated, then the filing started."""
    answer = await checking
    view = answer.view
    if answer.errors:
        if answer.form is None:
            view = message_modal(answer.ctx, escape(" ".join(answer.errors.values())))
        else:
            view = ticket_modal(
                answer.ctx,
                answer.form,
                providers=deps.provider_titles,
                values=answer.values,
                errors=answer.errors,
            )
    assert view is not None
    await deps.modals.update(client, view_id=view_id, view=view, opener=filer.user_id)
    if answer.work is not None:
        await answer.work


def _on_first_field(ctx: ModalContext, state: dict[str, Any], text: str) -> Answer:
    """``text`` under the first field the modal has (no form to place it by: what was typed
    stays), else in place of the modal."""
    field = next((key for block_id in state if (key := field_key(block_id))), None)
    if field is None:
        return Answer(ctx, view=message_modal(ctx, escape(text)))
    return Answer(ctx, errors={field: text})


def _by_block(answer: Answer) -> dict[str, str]:
    """Inline errors by block id; those of no field on the first field's block."""
    first = (
        field_block_id(answer.form.fields[0].key)
        if answer.form is not None and answer.form.fields
        else BlockId.PROVIDER
    )
    found: dict[str, str] = {}
    for key, text in answer.errors.items():
        block = field_block_id(key) if key else first
        found[block] = f"{found[block]} {text}" if block in found else text
    return found


async def _answer(deps: SlackContext, body: dict[str, Any], filer: Filer) -> Answer:
    """Check and persist a submit; how to answer it."""
    view = body["view"]
    state = view_state(body)
    try:
        # NOTE: another replica opened it: who did is read from the database, within the
        # store's share of the budget
        async with asyncio.timeout(STORE_WAIT_SECONDS):
            ctx = await deps.modals.context(view, filer.user_id)
    except ForeignModal as exc:
        return Answer(ModalContext(), view=message_modal(ModalContext(), exc.message))
    except Exception as exc:
        if not deps.filing.database_away(exc):
            raise
        return _on_first_field(ModalContext(), state, BUSY)
    name = read_provider(state) or ctx.provider
    try:
        shown = await deps.drafting.form(filer, ctx, name)
    except FieldErrors as exc:  # no provider picked
        return Answer(ctx, errors={"": exc.message})
    except FormUnavailable as exc:  # keep what was typed
        return _on_first_field(ctx.with_provider(name), state, exc.message)
    except NotAllowed as exc:
        ctx = ctx.with_provider(name)
        # NOTE: our own words, with mentions of channels, groups and admins
        return Answer(ctx, view=message_modal(ctx, exc.message))
    ctx, provider, form = shown.context, shown.provider, shown.form
    values = read_values(form, state)
    try:
        draft = deps.drafting.draft(
            shown, filer, values, as_typed=read_picked(state, AS_TYPED), view_id=view["id"]
        )
    except FieldErrors as exc:
        return Answer(ctx, errors=exc.fields, form=form, values=values)
    if isinstance(draft, Unseen):  # NOTE: shown first; the next submit files it, redacted
        ctx, form, banner = with_notice(deps, provider, ctx, form, values, is_admin=shown.is_admin)
        titles = deps.provider_titles
        return Answer(
            ctx, view=ticket_modal(ctx, form, providers=titles, values=values, banner=banner)
        )
    return await _persist(deps, shown, draft, values, view["id"])


async def _persist(
    deps: SlackContext, shown: FilerForm, draft: Draft, values: dict[str, FieldValue], view_id: str
) -> Answer:
    """Save the checked draft under its modal; how to answer (``values``: as typed, kept if
    the database will not take it)."""
    ctx, provider, form = shown.context, shown.provider, shown.form
    # NOTE: the view id is stable across submits of one modal: a double click or a re-submit
    # after an error reuses the same submission, so it cannot file twice.
    try:
        async with asyncio.timeout(STORE_WAIT_SECONDS):  # NOTE: no task, unlike wait_for
            submission, _ = await deps.filing.submit(submission_key(view_id, ctx), draft)
    except Exception as exc:
        if not deps.filing.database_away(exc):
            raise
        # NOTE: a locked or failing database must not push the ack past Slack's 3 s; the
        # modal keeps what was typed. If the write lands later, the same key finds it.
        return Answer(ctx, errors={"": BUSY}, form=form, values=values)
    if submission.state is SubmissionState.FILED:
        return Answer(ctx, view=message_modal(ctx, "This ticket was already filed."))
    if submission.state is SubmissionState.UNSURE:  # the filer decides on the card
        text = unsure_text(title=provider.title, reference=reference(submission))
        return Answer(ctx, view=message_modal(ctx, text))
    filing = f":hourglass_flowing_sand: Filing your {escape(provider.title)} ticket…"
    work = deps.filing.file(submission, draft)
    return Answer(ctx, view=message_modal(ctx, filing), work=work)
