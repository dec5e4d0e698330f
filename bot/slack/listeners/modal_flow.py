"""Showing the ticket form: open at once, and show "Loading…" while look-ups run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.drafts import ModalContext
from bot.domain.forms import FieldValue, Form
from bot.domain.tickets import Filer
from bot.providers import fields
from bot.slack.context import SlackContext
from bot.slack.listeners.disclosure import with_notice
from bot.slack.views.ticket_modal import loading_modal, ticket_modal
from bot.tickets.requesters import NotLinked

# Before a provider is picked: the fields every provider has, so typing can start at once.
NEUTRAL_FORM = Form(fields=(fields.subject(max_length=None), fields.description()))


async def show_form(
    deps: SlackContext,
    client: AsyncWebClient,
    bolt_context: dict[str, Any],
    *,
    ctx: ModalContext,
    filer: Filer,
    values: Mapping[str, FieldValue] | None = None,
    trigger_id: str | None = None,
    view_id: str | None = None,
    notice: str | None = None,
    submit: str = "File ticket",
    offer: dict[str, Any] | None = None,
) -> None:
    """Open (``trigger_id``) or replace (``view_id``) the modal with ``ctx.provider``'s form.

    ``notice`` is shown above the form (e.g. "already filed as …"), ``submit`` on its button,
    ``offer`` (a button) beside the notice.
    """
    await deps.access.require_may_file(filer.user_id, ctx.channel_id)
    titles = deps.provider_titles
    if ctx.provider is None:
        view = ticket_modal(
            ctx,
            NEUTRAL_FORM,
            providers=titles,
            values=values,
            banner=notice,
            submit=submit,
            offer=offer,
        )
        await _show(deps, client, view, filer=filer, trigger_id=trigger_id, view_id=view_id)
        return
    provider = deps.filing.provider(ctx.provider)
    is_admin = await deps.access.is_admin(filer.user_id)
    form = provider.cached_form()
    filed_as, banner = None, None
    try:
        requester = await deps.links.requester(provider, filer, lookup=False)
    except NotLinked as exc:
        requester, banner = None, _not_linked(deps, exc, is_admin)
    if form is None or (requester is None and banner is None):
        # NOTE: a trigger_id dies after 3 s; open a loading view first, then views.update.
        view_id = await _show(
            deps,
            client,
            loading_modal(ctx, provider.title),
            filer=filer,
            trigger_id=trigger_id,
            view_id=view_id,
        )
        bolt_context["view_id"] = view_id
        trigger_id = None
        form = await deps.drafting.look_up(provider)
        if requester is None and banner is None:
            filer = await deps.users.filer(filer.team_id, filer.user_id, filer.name)
            try:
                requester = await deps.links.requester(provider, filer)
            except NotLinked as exc:
                banner = _not_linked(deps, exc, is_admin)
    else:
        deps.jobs.spawn(
            deps.drafting.look_up(provider)
        )  # refresh stale look-ups for the next opener
    if requester is not None:
        filed_as = requester.label
    if notice:
        banner = f"{notice}\n{banner}" if banner else notice
    # NOTE: the channel's route fills what nobody typed (and beats the alert's severity)
    values = deps.drafting.prefilled(provider, form, ctx, values or {})
    shown = deps.drafting.form_for(provider, form, is_admin=is_admin, filer=filer, files=ctx.files)
    # NOTE: what the alert prefilled is checked now, so the notice is there before submit
    ctx, shown, banner = with_notice(
        deps, provider, ctx, shown, values, is_admin=is_admin, banner=banner
    )
    view = ticket_modal(
        ctx,
        shown,
        providers=titles,
        values=values,
        filed_as=filed_as,
        banner=banner,
        submit=submit,
        offer=offer,
    )
    await _show(deps, client, view, filer=filer, trigger_id=trigger_id, view_id=view_id)


def _not_linked(deps: SlackContext, exc: NotLinked, is_admin: bool) -> str:
    if is_admin:
        return exc.message + " As an admin you can also fill in *File as* below."
    return f"{exc.message} Admins: {deps.access.admins_text()}."


async def _show(
    deps: SlackContext,
    client: AsyncWebClient,
    view: dict[str, Any],
    *,
    filer: Filer,
    trigger_id: str | None,
    view_id: str | None,
) -> str:
    if trigger_id:
        return await deps.modals.open(
            client, trigger_id=trigger_id, view=view, team_id=filer.team_id, opener=filer.user_id
        )
    assert view_id is not None
    return await deps.modals.update(client, view_id=view_id, view=view, opener=filer.user_id)
