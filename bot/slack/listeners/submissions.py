"""The ticket modal's submit: check inline, persist, ack with "Filing…", file, show the result."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.domain.drafts import Draft, ModalContext, submission_key
from bot.domain.errors import NotAllowed, StoreUnavailable, TicketbotError
from bot.domain.forms import Form
from bot.domain.records import SubmissionState
from bot.providers.base import Provider
from bot.slack.listeners.jobs import after_ack
from bot.slack.listeners.modal_flow import FILE_AS, form_for
from bot.slack.listeners.payload import payload_filer, view_state
from bot.slack.modals import ForeignModal
from bot.slack.views.form_state import read_provider, read_values
from bot.slack.views.ids import BlockId, CallbackId, field_block_id, field_key
from bot.slack.views.text import escape
from bot.slack.views.ticket_modal import message_modal
from bot.slack.views.unsure import unsure_text
from bot.tickets.forms import check_form
from bot.tickets.outcomes import reference

# NOTE: Slack gives the ack 3 s; a form looked up again after a restart may take this long,
# and saving the submission at most this long (a locked database).
FORM_WAIT_SECONDS = 1.5
STORE_WAIT_SECONDS = 1.0
BUSY = "The bot's database is busy. Submit again in a moment: what you typed is kept."


def register(app: AsyncApp, deps: Deps) -> None:
    @app.view(CallbackId.TICKET_MODAL)
    async def handle_ticket_submission(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        view = body["view"]
        filer = payload_filer(body)
        try:
            ctx = await deps.modals.context(view, filer.user_id)
        except ForeignModal as exc:
            await ack(
                response_action="update",
                view=deps.modals.sealed(message_modal(ModalContext(), exc.message), filer.user_id),
            )
            return
        state = view_state(body)
        name = read_provider(state) or ctx.provider
        provider = deps.providers.get(name or "")
        if provider is None:
            await ack(
                response_action="errors",
                errors={BlockId.PROVIDER: "Pick where the ticket should go."},
            )
            return
        ctx = ctx.with_provider(provider.name)

        def sealed(view: dict[str, Any]) -> dict[str, Any]:
            return deps.modals.sealed(view, filer.user_id)

        form = provider.cached_form() or await _form_after_restart(provider)
        if form is None:  # and the provider did not give it in time: keep what was typed
            text = f"{provider.title} did not answer in time to check this. Please submit again."
            field = next((block_id for block_id in state if field_key(block_id)), None)
            if field is not None:
                await ack(response_action="errors", errors={field: text})
            else:
                await ack(response_action="update", view=sealed(message_modal(ctx, escape(text))))
            return
        try:
            await deps.access.require_may_file(filer.user_id, ctx.channel_id)
        except NotAllowed as exc:
            await ack(
                response_action="update", view=sealed(message_modal(ctx, escape(exc.message)))
            )
            return
        is_admin = await deps.access.is_admin(filer.user_id)
        form = form_for(provider, form, is_admin=is_admin, filer=filer, files=ctx.files)
        values = read_values(form, state)
        errors = check_form(form, values) | provider.check_values(values)
        file_as = values.pop(FILE_AS, None)
        if isinstance(file_as, str) and (problem := provider.requester_id_problem(file_as)):
            errors[FILE_AS] = problem
        if errors:
            await ack(
                response_action="errors",
                errors={field_block_id(key): text for key, text in errors.items()},
            )
            return
        draft = Draft(
            provider=provider.name,
            values=values,
            filer=filer,
            context=ctx,
            file_as=file_as if isinstance(file_as, str) else None,
        )
        # NOTE: the view id is stable across submits of one modal: a double click or a re-submit
        # after an error reuses the same submission, so it cannot file twice.
        try:
            async with asyncio.timeout(STORE_WAIT_SECONDS):  # NOTE: no task, unlike wait_for
                submission, _ = await deps.filing.submit(submission_key(view["id"], ctx), draft)
        except (TimeoutError, StoreUnavailable):
            # NOTE: a locked or failing database must not push the ack past Slack's 3 s; the
            # modal keeps what was typed. If the write lands later, the same key finds it.
            first = field_block_id(form.fields[0].key) if form.fields else BlockId.PROVIDER
            await ack(response_action="errors", errors={first: BUSY})
            return
        if submission.state is SubmissionState.FILED:
            await ack(
                response_action="update",
                view=sealed(message_modal(ctx, "This ticket was already filed.")),
            )
            return
        if submission.state is SubmissionState.UNSURE:  # the filer decides on the card
            text = unsure_text(title=provider.title, reference=reference(submission))
            await ack(response_action="update", view=sealed(message_modal(ctx, text)))
            return
        await ack(
            response_action="update",
            view=sealed(
                message_modal(
                    ctx, f":hourglass_flowing_sand: Filing your {escape(provider.title)} ticket…"
                )
            ),
        )
        context["view_id"] = view["id"]
        work = deps.filing.file(submission, draft, view_id=view["id"])
        after_ack(deps, client, body, context, work, deferred=True)


async def _form_after_restart(provider: Provider) -> Form | None:
    """The form, looked up again: the bot restarted since the modal opened (a deploy), and the
    user's typing must not be lost for it. None if the provider does not answer in time."""
    try:
        return await asyncio.wait_for(provider.form(), FORM_WAIT_SECONDS)
    except (TimeoutError, TicketbotError):
        return None
