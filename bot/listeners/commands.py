"""``/ticket``: ack at once, then open the modal within the trigger_id's 3 seconds."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.listeners.command_text import Verb, parse_ticket_command, usage
from bot.listeners.errors import after_ack
from bot.listeners.modal_flow import show_form
from bot.providers.base import CommonField, Filer
from bot.views.metadata import ModalContext

COMMAND = "/ticket"


def register(app: AsyncApp, deps: Deps) -> None:
    @app.command(COMMAND)
    async def handle_ticket_command(
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        context: dict[str, Any],
    ) -> None:
        await ack()
        command = parse_ticket_command(body.get("text", ""), deps.providers)
        if command.verb is Verb.HELP:
            await respond(text=usage(deps.providers), response_type="ephemeral")
            return
        provider = command.provider
        if provider is None and len(deps.providers) == 1:
            provider = next(iter(deps.providers))
        ctx = ModalContext(
            provider=provider,
            channel_id=body.get("channel_id"),
            response_url=body.get("response_url"),
        )
        filer = Filer(
            team_id=body["team_id"],
            user_id=body["user_id"],
            name=body.get("user_name") or body["user_id"],
        )
        values = {str(CommonField.SUBJECT): command.subject} if command.subject else None
        work = show_form(
            deps,
            client,
            context,
            ctx=ctx,
            filer=filer,
            values=values,
            trigger_id=body["trigger_id"],
        )
        after_ack(deps, client, body, context, work)
