"""The *Add to a ticket* message shortcut: pick a ticket the bot filed (this channel's open ones
first, then yours) or type provider and number; the message goes to it as a comment with the
files ticked, and its thread follows the ticket.

Where the provider takes no comments (ISPCRM) the modal says so before anything is sent and
offers *Link only*. A ticket that does not exist and one you may not see get the same answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.additions import TEXT_KEPT, AddContext, AddResult, AddState, MessageRef
from bot.domain.drafts import ModalContext
from bot.domain.errors import UserFixable
from bot.domain.forms import CommonField
from bot.domain.records import TicketRecord
from bot.domain.tickets import Filer
from bot.slack.budget import ack_deadline, left
from bot.slack.context import SlackContext
from bot.slack.delivery import post_where_seen
from bot.slack.listeners.jobs import after_ack
from bot.slack.listeners.payload import payload_filer, view_state
from bot.slack.listeners.reactions import fetch_message
from bot.slack.listeners.shortcuts import message_context
from bot.slack.listeners.submissions import BUSY, STORE_WAIT_SECONDS
from bot.slack.modals import ForeignModal
from bot.slack.seal import ADD_PURPOSE
from bot.slack.views.add_modal import (
    add_message_modal,
    add_modal,
    added_text,
    link_only_modal,
    thread_note,
    ticket_thread_note,
)
from bot.slack.views.blocks import section
from bot.slack.views.form_state import read_text
from bot.slack.views.ids import ActionId, BlockId, CallbackId, field_block_id
from bot.slack.views.text import escape
from bot.slack.views.ticket_modal import message_modal
from bot.tickets.additions import typed_number
from bot.tickets.filing import FILES_KEY

log = logging.getLogger(__name__)
LOOKUP_SECONDS = 1.5  # finding the ticket and who may see it, within the submit's ack budget
NOT_SEEN = "No {title} ticket #{number} that you can see (the bot knows the tickets it filed)."


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.shortcut(CallbackId.ADD_SHORTCUT)
    async def handle_add_to_ticket_shortcut(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        after_ack(deps, client, body, context, open_add_form(deps, client, body, context))

    @app.action(ActionId.ADD_OFFER)
    async def handle_add_offer_action(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        """*Add to HostUp #10001* in the *File a ticket* form of an alert whose ticket is open."""
        await _button(deps, ack, body, client, context, add_from_form)

    @app.action(ActionId.ADD_INSTEAD)
    async def handle_add_instead_action(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        """*Add to a ticket instead…* in the File a ticket form."""
        await _button(deps, ack, body, client, context, switch_to_add)

    @app.action(ActionId.ADD_FROM_REACTION)
    async def handle_add_from_reaction_action(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        """*Add to HostUp #10001* in the prompt of a reaction on an alert with an open ticket."""
        await _button(deps, ack, body, client, context, add_from_reaction)

    @app.view(CallbackId.ADD_MODAL)
    async def handle_add_to_ticket_submission(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await submit_add(deps, ack, body, client, context)


async def _ticket_by_id(deps: SlackContext, adder: Filer, ticket_id: int) -> TicketRecord:
    """A ticket a button or the link-only question named, if ``adder`` may still see it."""
    ticket = await deps.additions.find(
        adder.team_id,
        ticket_id=ticket_id,
        provider=None,
        number=None,
        may_read=deps.access.reader(adder.user_id),
    )
    if ticket is None:
        raise UserFixable("That ticket is gone, or you may not see it any more.")
    return ticket


ButtonWork = Callable[[SlackContext, AsyncWebClient, dict[str, Any]], Coroutine[Any, Any, None]]


async def _button(
    deps: SlackContext,
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: dict[str, Any],
    work: ButtonWork,
) -> None:
    """Ack a button, then ``work`` after the ack (in its modal, if it is in one: errors go
    there)."""
    await ack()
    context["view_id"] = (body.get("view") or {}).get("id")
    after_ack(deps, client, body, context, work(deps, client, body))


async def open_add_form(
    deps: SlackContext, client: AsyncWebClient, body: dict[str, Any], context: dict[str, Any]
) -> None:
    """A loading view at once (the trigger lives 3 s), then the picker."""
    adder = payload_filer(body)
    channel = body.get("channel") or {}
    channel_id = str(channel.get("id") or "")
    await deps.access.require_may_file(adder.user_id, channel_id)
    view_id = await deps.modals.open(
        client,
        trigger_id=body["trigger_id"],
        view=add_message_modal("", ":hourglass_flowing_sand: Finding your tickets…"),
        team_id=adder.team_id,
        opener=adder.user_id,
    )
    context["view_id"] = view_id
    raw = body.get("message") or {}
    ctx, values = await message_context(
        deps,
        client,
        adder,
        channel_id=channel_id,
        channel_name=channel.get("name"),
        message=raw,
        response_url=body.get("response_url"),
        domain=(body.get("team") or {}).get("domain"),
    )
    message = await _message_ref(deps, adder, ctx, values, raw)
    add = AddContext(message=message, response_url=body.get("response_url"))
    await _show_picker(deps, client, view_id, adder, add)


async def _show_picker(
    deps: SlackContext, client: AsyncWebClient, view_id: str, adder: Filer, add: AddContext
) -> None:
    """The picker in modal ``view_id``: this channel's open tickets, then the adder's own."""
    here, mine = await deps.additions.choices(
        adder.team_id, adder.user_id, add.message.channel_id, deps.access.reader(adder.user_id)
    )
    view = add_modal(
        add.dump(),
        add.message,
        here=here,
        mine=mine,
        titles=deps.provider_titles,
        providers=list(deps.providers),
    )
    await deps.modals.update(client, view_id=view_id, view=view, opener=adder.user_id)


async def _message_ref(
    deps: SlackContext, adder: Filer, ctx: ModalContext, values: dict[str, Any], raw: dict[str, Any]
) -> MessageRef:
    author_id = str(raw.get("user") or "") or None
    author = raw.get("username") or (raw.get("bot_profile") or {}).get("name")
    if author is None and author_id:
        author = (await deps.users.filer(adder.team_id, author_id, author_id)).name
    text = values.get(CommonField.DESCRIPTION) or str(raw.get("text") or "")
    return MessageRef(
        channel_id=str(ctx.channel_id or ""),
        message_ts=str(ctx.message_ts or ""),
        thread_ts=str(ctx.thread_ts or ctx.message_ts or ""),
        permalink=ctx.permalink,
        author_id=author_id,
        author_name=str(author) if author else None,
        text=str(text)[:TEXT_KEPT],
        files=ctx.files,
    )


async def submit_add(
    deps: SlackContext,
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: dict[str, Any],
) -> None:
    """Check what was picked or typed inline; ask first where only a link is possible; then
    ack with "Adding…" and add after the ack."""
    deadline = ack_deadline(context)
    view, adder = body["view"], payload_filer(body)
    state = view_state(body)
    try:
        # NOTE: a replica that did not open the modal reads its opener from the database:
        # the store's share of the one ack budget
        async with asyncio.timeout(min(STORE_WAIT_SECONDS, left(deadline))):
            ctx = AddContext.load(await deps.modals.metadata(view, adder.user_id))
        if ctx is None:
            raise ForeignModal
    except ForeignModal as exc:
        sealed = deps.modals.sealed(message_modal(ModalContext(), exc.message), adder.user_id)
        await ack(response_action="update", view=sealed)
        return
    except Exception as exc:
        if not deps.filing.database_away(exc):
            raise
        if BlockId.ADD_PICK in state or BlockId.ADD_TYPED in state:
            block = BlockId.ADD_PICK if BlockId.ADD_PICK in state else BlockId.ADD_TYPED
            await ack(response_action="errors", errors={block: BUSY})
        else:  # NOTE: *Link only* asks a question and has no input to answer on
            busy = deps.modals.sealed(message_modal(ModalContext(), BUSY), adder.user_id)
            await ack(response_action="update", view=busy)
        return
    if ctx.ticket_id is not None:  # *Link only*, the answer to the question: no inputs here
        linking = add_message_modal(ctx.dump(), ":hourglass_flowing_sand: Linking…")
        await ack(response_action="update", view=deps.modals.sealed(linking, adder.user_id))
        context["view_id"] = view["id"]
        work = link_only_answered(deps, client, view["id"], ctx, adder, ctx.ticket_id)
        after_ack(deps, client, body, context, work)
        return
    files = _ticked(state)
    problem, where, ticket_id, provider, number = _read_choice(deps, state)
    if problem:
        await ack(response_action="errors", errors={where: problem})
        return
    lookup = asyncio.ensure_future(
        deps.additions.find(
            adder.team_id,
            ticket_id=ticket_id,
            provider=provider,
            number=number,
            may_read=deps.access.reader(adder.user_id),
        )
    )
    try:
        wait = min(LOOKUP_SECONDS, left(deadline))
        ticket = await asyncio.wait_for(asyncio.shield(lookup), wait)
    except TimeoutError:
        # NOTE: the look-up goes on (shielded) and warms the caches; the next submit is quick
        await ack(
            response_action="errors",
            errors={where: "Still checking who may see that ticket: submit again in a moment."},
        )
        return
    if ticket is None:
        title = deps.provider_titles.get(provider or "", provider or "that")
        text = NOT_SEEN.format(title=escape(title), number=escape(number or ""))
        if ticket_id is not None:
            text = "That ticket is gone, or you may not see it any more."
        await ack(response_action="errors", errors={where: text})
        return
    title = deps.additions.title(ticket)
    if not deps.additions.takes_comments(ticket):
        asked = ctx.model_copy(update={"ticket_id": ticket.id}).dump()
        view_asked = deps.modals.sealed(link_only_modal(asked, ticket, title), adder.user_id)
        await ack(response_action="update", view=view_asked)
        return
    adding = add_message_modal(
        ctx.dump(), f":hourglass_flowing_sand: Adding to {escape(title)} #{escape(ticket.number)}…"
    )
    await ack(response_action="update", view=deps.modals.sealed(adding, adder.user_id))
    context["view_id"] = view["id"]
    work = finish_add(deps, client, view["id"], ctx, adder, ticket, files, link_only=False)
    after_ack(deps, client, body, context, work)


async def link_only_answered(
    deps: SlackContext,
    client: AsyncWebClient,
    view_id: str,
    ctx: AddContext,
    adder: Filer,
    ticket_id: int,
) -> None:
    """*Link only*: the ticket looked up again (it may be gone, or hidden since), then linked."""
    ticket = await _ticket_by_id(deps, adder, ticket_id)
    await finish_add(deps, client, view_id, ctx, adder, ticket, (), link_only=True)


async def add_from_form(deps: SlackContext, client: AsyncWebClient, body: dict[str, Any]) -> None:
    """The form's message (its description as it stands, the files ticked) goes to the
    alert's open ticket instead of a new one."""
    view, adder = body["view"], payload_filer(body)
    ctx = await deps.modals.context(view, adder.user_id)
    action = (body.get("actions") or [{}])[0]
    opened = deps.seal.open(str(action.get("value") or ""), f"{ADD_PURPOSE}:{adder.user_id}")
    if opened is None or not opened.isdigit() or not ctx.channel_id or not ctx.message_ts:
        raise UserFixable("That button could not be verified; use File a ticket again.")
    ticket = await _ticket_by_id(deps, adder, int(opened))
    state = view_state(body)
    message = _form_message(ctx, state)
    files = _ticked(state, field_block_id(FILES_KEY))
    link_only = not deps.additions.takes_comments(ticket)
    add = AddContext(message=message, response_url=ctx.response_url)
    await finish_add(deps, client, view["id"], add, adder, ticket, files, link_only=link_only)


async def switch_to_add(deps: SlackContext, client: AsyncWebClient, body: dict[str, Any]) -> None:
    """*Add to a ticket instead…* in the File a ticket form: the same modal becomes the picker
    of the second shortcut, about the same message (its description as typed so far)."""
    view, adder = body["view"], payload_filer(body)
    ctx = await deps.modals.context(view, adder.user_id)
    if not ctx.channel_id or not ctx.message_ts:
        raise UserFixable("This form is not about a message; use Add to a ticket on one.")
    message = _form_message(ctx, view_state(body))
    add = AddContext(message=message, response_url=ctx.response_url)
    await _show_picker(deps, client, view["id"], adder, add)


def _form_message(ctx: ModalContext, state: dict[str, Any]) -> MessageRef:
    """The message a File a ticket form is about, with its description as it stands."""
    assert ctx.channel_id and ctx.message_ts
    return MessageRef(
        channel_id=ctx.channel_id,
        message_ts=ctx.message_ts,
        thread_ts=ctx.thread_ts or ctx.message_ts,
        permalink=ctx.permalink,
        text=read_text(state, field_block_id(CommonField.DESCRIPTION))[:TEXT_KEPT],
        files=ctx.files,
    )


def _ticked(state: dict[str, Any], block_id: str = BlockId.ADD_FILES) -> tuple[str, ...]:
    block = state.get(block_id)
    action = block.get(ActionId.VALUE) if isinstance(block, dict) else None
    picked = action.get("selected_options") if isinstance(action, dict) else None
    return tuple(str(o.get("value")) for o in picked or () if isinstance(o, dict))


def _read_choice(
    deps: SlackContext, state: dict[str, Any]
) -> tuple[str | None, str, int | None, str | None, str | None]:
    """(problem, its block, ticket id picked, provider and number typed)."""
    typed = read_text(state, BlockId.ADD_TYPED).strip()
    picked = read_text(state, BlockId.ADD_PICK).strip()
    if not typed:
        if picked.isdigit():
            return None, BlockId.ADD_PICK, int(picked), None, None
        where = BlockId.ADD_PICK if BlockId.ADD_PICK in state else BlockId.ADD_TYPED
        return "Pick a ticket, or type its provider and number.", where, None, None, None
    words = typed.split()
    by_name = {n.lower(): n for n in deps.providers}
    by_name |= {p.title.lower(): n for n, p in deps.providers.items()}
    known = ", ".join(deps.providers)
    if len(words) != 2 or words[0].lower() not in by_name:
        example = next(iter(deps.providers), "hostup")
        usage = f"Type a provider and a number, like `{example} 10001` ({known})."
        return usage, BlockId.ADD_TYPED, None, None, None
    provider = by_name[words[0].lower()]
    number = typed_number(words[1])
    # NOTE: the provider's own id shape too, though only the bot's records are searched
    problem = (
        "A ticket number is letters, digits, - and _ (up to 64)."
        if number is None
        else deps.providers[provider].ticket_id_problem(number)
    )
    if problem:
        return problem, BlockId.ADD_TYPED, None, None, None
    return None, BlockId.ADD_TYPED, None, provider, number


async def finish_add(
    deps: SlackContext,
    client: AsyncWebClient,
    view_id: str,
    ctx: AddContext,
    adder: Filer,
    ticket: TicketRecord,
    files: tuple[str, ...],
    *,
    link_only: bool,
) -> None:
    """Add, tell both threads, and show the outcome in the modal."""
    result = await add_and_tell(deps, ctx, adder, ticket, files, link_only=link_only)
    done = add_message_modal(ctx.dump(), added_text(result))
    await deps.modals.update(client, view_id=view_id, view=done, opener=adder.user_id)


async def add_and_tell(
    deps: SlackContext,
    ctx: AddContext,
    adder: Filer,
    ticket: TicketRecord,
    files: tuple[str, ...],
    *,
    link_only: bool,
) -> AddResult:
    """Add, and tell both threads (once: a second add of the same message says nothing)."""
    message = ctx.message
    result = await deps.additions.add(ticket, message, adder, files, link_only=link_only)
    if result.state not in (AddState.ALREADY, AddState.REFUSED):
        note = thread_note(result, adder.user_id)
        await post_where_seen(
            deps.slack,
            deps.responses,
            channel_id=message.channel_id,
            thread_ts=message.thread_ts,
            user_id=adder.user_id,
            response_url=ctx.response_url,
            text=note,
            blocks=[section(note)],
        )
        own = (ticket.channel_id, ticket.thread_ts)
        if own[0] and own[1] and own != (message.channel_id, message.thread_ts):
            try:
                await deps.slack.chat_postMessage(
                    channel=own[0],
                    thread_ts=own[1],
                    text=ticket_thread_note(result, adder.user_id, message),
                    unfurl_links=False,
                )
            except SlackApiError as exc:
                log.info("ticket thread not told", extra={"error": exc.response.get("error")})
    return result


async def add_from_reaction(
    deps: SlackContext, client: AsyncWebClient, body: dict[str, Any]
) -> None:
    """The reactor's *Add to HostUp #10001*: the reacted message (all its files) goes to the
    alert's open ticket; the prompt is replaced by the outcome."""
    adder = payload_filer(body)
    action = (body.get("actions") or [{}])[0]
    opened = deps.seal.open(str(action.get("value") or ""), f"{ADD_PURPOSE}:{adder.user_id}")
    parts = opened.split("|") if opened else []
    if len(parts) != 3 or not parts[2].isdigit():
        raise UserFixable("That button could not be verified; use Add to a ticket on the message.")
    channel_id, ts, ticket_id = parts[0], parts[1], int(parts[2])
    ticket = await _ticket_by_id(deps, adder, ticket_id)
    raw = await fetch_message(client, channel_id, ts)
    if raw is None:
        raise UserFixable("That message is gone, or I can no longer read it.")
    modal_ctx, values = await message_context(
        deps,
        client,
        adder,
        channel_id=channel_id,
        channel_name=None,
        message=raw,
        response_url=None,
        domain=(body.get("team") or {}).get("domain"),
    )
    message = await _message_ref(deps, adder, modal_ctx, values, raw)
    result = await add_and_tell(
        deps,
        AddContext(message=message, response_url=body.get("response_url")),
        adder,
        ticket,
        tuple(f.id for f in message.files),
        link_only=not deps.additions.takes_comments(ticket),
    )
    text = added_text(result)
    await deps.responses.send(body.get("response_url"), replace_original=True, text=text)
