"""Block actions inside the ticket modal: picking a provider re-renders the form."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.ids import ActionId
from bot.listeners.errors import after_ack
from bot.listeners.modal_flow import show_form
from bot.listeners.payload import payload_filer, view_state
from bot.views.form_state import read_loose_values, read_provider
from bot.views.metadata import ModalContext


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(ActionId.PROVIDER)
    async def handle_provider_pick_action(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        view = body["view"]
        context["view_id"] = view["id"]
        state = view_state(body)
        ctx = ModalContext.load(view.get("private_metadata")).with_provider(read_provider(state))
        work = show_form(
            deps,
            client,
            context,
            ctx=ctx,
            filer=payload_filer(body),
            values=read_loose_values(state),
            view_id=view["id"],
        )
        after_ack(deps, client, body, context, work)

    @app.action(ActionId.OPEN_TICKET)
    async def handle_open_ticket_action(ack: AsyncAck) -> None:
        await ack()  # a link button: Slack opens the URL, we only acknowledge
