"""The one error handler: decides where the user reads what went wrong.

In order: the ticket modal the user just submitted (re-rendered with their draft and the error
on the field), any other modal the request opened, the request's ``response_url`` (ephemeral),
and finally a DM. Unknown errors get a short reference id that is also in the log.

It only ever sees verified requests (``bot.slack.server`` refuses the rest before bolt), and still
updates only views the bot opened for this user, and posts only to Slack's response URLs.

Work after ``ack()`` (``bot.slack.listeners.jobs``) reports its failures here too.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.drafts import ModalContext
from bot.domain.errors import (
    AdminFixable,
    FieldErrors,
    ProviderUnavailable,
    TicketbotError,
    Transient,
    UserFixable,
)
from bot.logs import request_id
from bot.slack.context import SlackContext
from bot.slack.listeners.payload import payload_filer, view_state
from bot.slack.modals import ForeignModal
from bot.slack.views.errors import error_text
from bot.slack.views.form_state import read_values
from bot.slack.views.ids import CallbackId
from bot.slack.views.ticket_modal import message_modal, ticket_modal

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.error
    async def handle_error(
        error: Exception, body: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await report_error(deps, client, error, body, context)


async def report_error(
    deps: SlackContext,
    client: AsyncWebClient,
    error: Exception,
    body: dict[str, Any],
    context: dict[str, Any],
) -> None:
    """Tell the user what went wrong, where they are looking; log it with a reference id."""
    ref = request_id.get() or secrets.token_hex(4)
    user_id = payload_filer(body).user_id
    if deps.filing.database_away(error):
        await _database_away(deps, client, body, ref, user_id)
        return
    _log(error, ref, body)
    submitted = body.get("type") == "view_submission" and (
        (body.get("view") or {}).get("callback_id") == CallbackId.TICKET_MODAL
    )
    text = error_text(
        error, ref=ref, is_admin=await deps.access.is_admin(user_id), draft_kept=submitted
    )
    try:
        if isinstance(error, AdminFixable):
            await deps.notices.needs_admin(error, ref)
        if submitted and await _restore_draft(deps, client, body, error, text):
            return
        view_id = context.get("view_id") or (body.get("view") or {}).get("id")
        if view_id and user_id and await deps.modals.opener(view_id) == user_id:
            await deps.modals.update(
                client, view_id=view_id, view=message_modal(ModalContext(), text), opener=user_id
            )
            return
        if await deps.responses.send(
            body.get("response_url"), text=text, response_type="ephemeral"
        ):
            return
        if user_id:
            await client.chat_postMessage(channel=user_id, text=text)
    except Exception:
        # NOTE: the last resort failed too (Slack down, view closed); the log has the ref.
        log.exception("could not tell the user about an error", extra={"ref": ref})


async def _database_away(
    deps: SlackContext, client: AsyncWebClient, body: dict[str, Any], ref: str, user_id: str
) -> None:
    """The database is away (the store logs the outage once): one line here, no traceback,
    and the user is told to try again, without a database read on the way."""
    log.info("request not served: the database is away", extra={"ref": ref})
    text = f"The bot's database is not answering right now. Try again in a moment. (ref {ref})"
    try:
        if (
            not await deps.responses.send(
                body.get("response_url"), text=text, response_type="ephemeral"
            )
            and user_id
        ):
            await client.chat_postMessage(channel=user_id, text=text)
    except Exception:  # NOTE: Slack too: the log has the ref
        log.warning("could not tell the user the database is away", extra={"ref": ref})


async def _restore_draft(
    deps: SlackContext, client: AsyncWebClient, body: dict[str, Any], error: Exception, text: str
) -> bool:
    """Re-render the submitted ticket form with the user's values and the error on its field."""
    view = body["view"]
    filer = payload_filer(body)
    try:
        ctx = await deps.modals.context(view, filer.user_id)
    except ForeignModal:
        return False
    shown = await deps.drafting.shown_form(filer, ctx)
    if shown is None:
        return False
    provider, form = shown.provider, shown.form
    values = read_values(form, view_state(body))
    errors: dict[str, str] = {}
    banner = text
    if isinstance(error, FieldErrors):
        errors = {key: msg for key, msg in error.fields.items() if form.has_field(key)}
        if len(errors) == len(error.fields) and not error.general:
            banner = f"{provider.title} rejected some fields; "
            banner += "fix them below and submit again."
    try:
        await deps.modals.update(
            client,
            view_id=view["id"],
            view=ticket_modal(
                ctx,
                form,
                providers=deps.provider_titles,
                values=values,
                errors=errors,
                banner=banner,
            ),
            opener=filer.user_id,
        )
    except SlackApiError:
        return False
    return True


def _log(error: Exception, ref: str, body: dict[str, Any]) -> None:
    extra = {
        "ref": ref,
        "kind": body.get("type") or ("command" if "command" in body else None),
        "error": type(error).__name__,
    }
    if isinstance(error, UserFixable):
        log.info("user-fixable error: %s", error, extra=extra)
    elif isinstance(error, AdminFixable):
        log.warning("admin-fixable error: %s", error.admin_detail or error, extra=extra)
    elif isinstance(error, ProviderUnavailable):
        log.warning("provider unavailable: %s", error, extra=extra)
    elif isinstance(error, Transient):
        log.warning("provider timed out or rate limited: %s", error, extra=extra)
    elif isinstance(error, TicketbotError):  # Internal and the rest: the class says which
        log.warning("%s: %s", type(error).__name__, error, extra=extra)
    else:
        log.error("unexpected error", exc_info=error, extra=extra)
