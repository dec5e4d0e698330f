"""Block actions inside the ticket modal: picking a provider re-renders the form."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.drafts import Draft
from bot.domain.errors import NotAllowed, UserFixable
from bot.domain.records import SubmissionState
from bot.slack.context import SlackContext
from bot.slack.listeners.jobs import after_ack
from bot.slack.listeners.modal_flow import show_form
from bot.slack.listeners.payload import payload_filer, view_state
from bot.slack.seal import RETRY_PURPOSE
from bot.slack.views.form_state import read_loose_values, read_provider
from bot.slack.views.ids import ActionId


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.action(ActionId.PROVIDER)
    async def handle_provider_pick_action(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        view = body["view"]
        context["view_id"] = view["id"]
        after_ack(deps, client, body, context, _repick(deps, client, body, context))

    @app.action(ActionId.EDIT_RETRY)
    async def handle_edit_retry_action(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        """Reopen the form with a draft the bot gave up on; submitting files it anew."""
        await ack()
        after_ack(deps, client, body, context, reopen_draft(deps, client, body, context))


async def _repick(
    deps: SlackContext, client: AsyncWebClient, body: dict[str, Any], context: dict[str, Any]
) -> None:
    """The form of the provider just picked, keeping what was typed."""
    view, filer = body["view"], payload_filer(body)
    state = view_state(body)
    ctx = await deps.modals.context(view, filer.user_id)
    await show_form(
        deps,
        client,
        context,
        ctx=ctx.with_provider(read_provider(state)),
        filer=filer,
        values=read_loose_values(state),
        view_id=view["id"],
    )


async def reopen_draft(
    deps: SlackContext, client: AsyncWebClient, body: dict[str, Any], context: dict[str, Any]
) -> None:
    action = (body.get("actions") or [{}])[0]
    submission_id = deps.seal.open(str(action.get("value") or ""), RETRY_PURPOSE)
    if submission_id is None or not submission_id.isdigit():
        raise UserFixable("That button could not be verified; run /ticket to file again.")
    submission = await deps.filing.submission(int(submission_id))
    user = payload_filer(body)
    if submission is None or submission.state is not SubmissionState.GAVE_UP:
        raise UserFixable("That draft was filed or retried already.")
    if submission.user_id != user.user_id and not await deps.access.is_admin(user.user_id):
        raise NotAllowed("Only the person who filed it (or an admin) can retry this draft.")
    draft = Draft.model_validate_json(submission.draft)
    await show_form(
        deps,
        client,
        context,
        ctx=draft.context,
        filer=user,
        values=draft.values,
        trigger_id=body["trigger_id"],
    )
