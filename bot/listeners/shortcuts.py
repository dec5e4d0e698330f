"""The "File a ticket" message shortcut: the modal prefilled from the message, answered in its
thread."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.ids import CallbackId
from bot.listeners.errors import after_ack
from bot.listeners.modal_flow import show_form
from bot.listeners.payload import payload_filer
from bot.tickets.prefill import prefill_from_message
from bot.views.metadata import ModalContext


def register(app: AsyncApp, deps: Deps) -> None:
    @app.shortcut(CallbackId.FILE_SHORTCUT)
    async def handle_file_ticket_shortcut(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        message = body.get("message") or {}
        only = next(iter(deps.providers)) if len(deps.providers) == 1 else None
        ctx = ModalContext(
            provider=only,
            channel_id=(body.get("channel") or {}).get("id"),
            # NOTE: reply in the message's own thread: its root if it is a reply already.
            thread_ts=message.get("thread_ts") or message.get("ts"),
            message_ts=message.get("ts"),
            response_url=body.get("response_url"),
        )
        work = show_form(
            deps,
            client,
            context,
            ctx=ctx,
            filer=payload_filer(body),
            values=prefill_from_message(message),
            trigger_id=body["trigger_id"],
        )
        after_ack(deps, client, body, context, work)
