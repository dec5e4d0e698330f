"""Showing the ticket form: open at once, and show "Loading…" while look-ups run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.errors import UserFixable
from bot.providers import fields
from bot.providers.base import FieldValue, Filer, Form
from bot.tickets.requesters import resolve_requester
from bot.views.metadata import ModalContext
from bot.views.ticket_modal import loading_modal, ticket_modal

# Before a provider is picked: the fields every provider has, so typing can start at once.
NEUTRAL_FORM = Form(fields=(fields.subject(max_length=None), fields.description()))


async def show_form(
    deps: Deps,
    client: AsyncWebClient,
    bolt_context: dict[str, Any],
    *,
    ctx: ModalContext,
    filer: Filer,
    values: Mapping[str, FieldValue] | None = None,
    trigger_id: str | None = None,
    view_id: str | None = None,
) -> None:
    """Open (``trigger_id``) or replace (``view_id``) the modal with ``ctx.provider``'s form."""
    titles = deps.provider_titles
    if ctx.provider is None:
        await _show(
            client,
            ticket_modal(ctx, NEUTRAL_FORM, providers=titles, values=values),
            trigger_id=trigger_id,
            view_id=view_id,
        )
        return
    provider = deps.filing.provider(ctx.provider)
    form = provider.cached_form()
    if form is None:
        # NOTE: a trigger_id dies after 3 s; open a loading view first, then views.update.
        view_id = await _show(
            client, loading_modal(ctx, provider.title), trigger_id=trigger_id, view_id=view_id
        )
        bolt_context["view_id"] = view_id
        trigger_id = None
        form = await provider.form()
    else:
        deps.spawn(provider.form())  # refresh stale look-ups for the next opener
    try:
        filed_as, banner = (await resolve_requester(deps.store, provider, filer)).label, None
    except UserFixable as exc:
        filed_as, banner = None, exc.message
    view = ticket_modal(
        ctx, form, providers=titles, values=values, filed_as=filed_as, banner=banner
    )
    await _show(client, view, trigger_id=trigger_id, view_id=view_id)


async def _show(
    client: AsyncWebClient, view: dict[str, Any], *, trigger_id: str | None, view_id: str | None
) -> str:
    if trigger_id:
        response = await client.views_open(trigger_id=trigger_id, view=view)
    else:
        response = await client.views_update(view_id=view_id, view=view)
    return str(response["view"]["id"])
