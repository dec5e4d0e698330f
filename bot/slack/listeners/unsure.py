"""The filer's two choices when the bot cannot tell whether a ticket was filed: *It was filed*
(the number they found; the bot records it) and *File it now* (the bot sends it, once)."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.drafts import ModalContext
from bot.domain.errors import NotAllowed, UserFixable
from bot.domain.records import Submission, SubmissionState
from bot.slack.context import SlackContext
from bot.slack.listeners.jobs import after_ack
from bot.slack.listeners.payload import payload_filer, view_state
from bot.slack.listeners.submissions import BUSY, STORE_WAIT_SECONDS
from bot.slack.modals import ForeignModal
from bot.slack.seal import UNSURE_PURPOSE
from bot.slack.views.form_state import read_text
from bot.slack.views.ids import ActionId, BlockId, CallbackId
from bot.slack.views.ticket_modal import message_modal
from bot.slack.views.unsure import number_modal

NUMBER_LIMIT = 60


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.action(ActionId.UNSURE_WAS_FILED)
    async def handle_unsure_was_filed_action(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        after_ack(deps, client, body, context, ask_for_number(deps, client, body))

    @app.action(ActionId.UNSURE_FILE_NOW)
    async def handle_unsure_file_now_action(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        after_ack(deps, client, body, context, file_now(deps, body))

    @app.view(CallbackId.FILED_NUMBER)
    async def handle_filed_number_submission(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        user = payload_filer(body)
        number = read_text(view_state(body), BlockId.NUMBER).strip().lstrip("#")
        try:
            # NOTE: both read the database: within the store's share of the ack's budget
            async with asyncio.timeout(STORE_WAIT_SECONDS):
                submission_id = await deps.modals.metadata(body["view"], user.user_id)
                problem = await number_problem(deps, int(submission_id), number)
        except ForeignModal as exc:
            view = message_modal(ModalContext(), exc.message)
            await ack(response_action="update", view=deps.modals.sealed(view, user.user_id))
            return
        except Exception as exc:
            if not deps.filing.database_away(exc):
                raise
            await ack(response_action="errors", errors={BlockId.NUMBER: BUSY})
            return
        if problem:
            await ack(response_action="errors", errors={BlockId.NUMBER: problem})
            return
        await ack()
        work = record_number(deps, int(submission_id), number, user.user_id)
        after_ack(deps, client, body, context, work)


async def number_problem(deps: SlackContext, submission_id: int, number: str) -> str | None:
    """Why ``number`` cannot be the provider's ticket (it must look like that provider's
    numbers: it is later placed in its request paths), or None."""
    if not number or len(number) > NUMBER_LIMIT or any(c.isspace() for c in number):
        return "Type the ticket's number as the provider shows it, like 10001."
    submission = await deps.filing.submission(submission_id)
    if submission is None:
        return "That submission is gone."
    provider = deps.providers.get(submission.provider)
    return provider.ticket_id_problem(number) if provider else None


async def _unsure_submission(deps: SlackContext, body: dict[str, Any]) -> Submission:
    """The submission a button names, if it is still unsure and the clicker may decide."""
    action = (body.get("actions") or [{}])[0]
    submission_id = deps.seal.open(str(action.get("value") or ""), UNSURE_PURPOSE)
    if submission_id is None or not submission_id.isdigit():
        raise UserFixable("That button could not be verified; run /ticket to file again.")
    submission = await deps.filing.submission(int(submission_id))
    if submission is None or submission.state is not SubmissionState.UNSURE:
        raise UserFixable("That was decided already: the message above says how.")
    await _may_decide(deps, submission, payload_filer(body).user_id)
    return submission


async def _may_decide(deps: SlackContext, submission: Submission, user_id: str) -> None:
    if submission.user_id != user_id and not await deps.access.is_admin(user_id):
        raise NotAllowed("Only the person who filed it (or an admin) can decide this.")


async def ask_for_number(deps: SlackContext, client: AsyncWebClient, body: dict[str, Any]) -> None:
    submission = await _unsure_submission(deps, body)
    user = payload_filer(body)
    title = deps.filing.provider(submission.provider).title
    await deps.modals.open(
        client,
        trigger_id=body["trigger_id"],
        view=number_modal(title=title, metadata=str(submission.id)),
        team_id=user.team_id,
        opener=user.user_id,
    )


async def file_now(deps: SlackContext, body: dict[str, Any]) -> None:
    await deps.filing.file_now(await _unsure_submission(deps, body))


async def record_number(deps: SlackContext, submission_id: int, number: str, user_id: str) -> None:
    """Record the ticket the filer found, under the number they typed; its card replaces the
    unsure one."""
    submission = await deps.filing.submission(submission_id)
    if submission is None:
        raise UserFixable("That submission is gone.")
    await _may_decide(deps, submission, user_id)
    if not await deps.filing.record_found(submission, number):
        raise UserFixable("That was decided already: the message in the channel says how.")
