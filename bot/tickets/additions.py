"""*Add to a ticket*: a Slack message goes to a ticket the bot filed, as a comment where the
provider takes them, with the files the person ticked; its thread then follows the ticket.

The comment goes through ``ProviderComments``: kept before the provider is called, under a key
per message and ticket (``add_key``), so a double click, a retry or a second replica adds it
once; sent again only when time can fix what stopped it. Where the provider refuses it for
good, nothing else happens (no thread follows, no files go).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence

from bot.domain.additions import AddResult, AddState, MessageRef, add_key
from bot.domain.disclosure import Redacted
from bot.domain.records import CommentState, TicketRecord
from bot.domain.text import utc_time
from bot.domain.tickets import Filer
from bot.providers.base import Provider, SupportsAttachTo, takes_replies
from bot.store.threads import ThreadQueries
from bot.store.tickets import TicketQueries
from bot.tickets.comments import ProviderComments
from bot.tickets.filing import FileFetcher
from bot.tickets.listing import ListKind, TicketLists, TicketQuery
from bot.tickets.outgoing import Outgoing

# NOTE: a number a person types: the shapes our providers use (10001, tkt_01hx…, TCK-42), and
# nothing that could reach a URL path or a query unencoded.
NUMBER = re.compile(r"^#?([A-Za-z0-9][A-Za-z0-9_-]{0,63})$")
PICK_LIMIT = 25  # tickets offered per group in the picker

MayRead = Callable[[TicketRecord], Awaitable[bool]]
# how a comment's first attempt ended → what the person is told
ADDED_AS = {
    CommentState.SENT: AddState.ADDED,
    CommentState.RETRYING: AddState.QUEUED,
    CommentState.PENDING: AddState.QUEUED,
    CommentState.SENDING: AddState.QUEUED,
    CommentState.UNSURE: AddState.UNSURE,
    CommentState.GAVE_UP: AddState.REFUSED,
}


def typed_number(text: str) -> str | None:
    """The ticket number in what a person typed, or None if it is not one."""
    match = NUMBER.match(text.strip())
    return match.group(1) if match else None


class Additions:
    def __init__(
        self,
        tickets: TicketQueries,
        threads: ThreadQueries,
        providers: Mapping[str, Provider],
        comments: ProviderComments,
        lists: TicketLists,
        files: FileFetcher | None,
        clock: Callable[[], float],
        outgoing: Outgoing | None = None,
    ) -> None:
        self._outgoing = outgoing or Outgoing({})
        self._tickets = tickets
        self._threads = threads
        self._providers = providers
        self._comments = comments
        self._lists = lists
        self._files = files
        self._clock = clock

    def title(self, ticket: TicketRecord) -> str:
        provider = self._providers.get(ticket.provider)
        return provider.title if provider else ticket.provider

    def takes_comments(self, ticket: TicketRecord) -> bool:
        return takes_replies(self._providers.get(ticket.provider))

    async def choices(
        self, team_id: str, user_id: str, channel_id: str, may_read: MayRead
    ) -> tuple[tuple[TicketRecord, ...], tuple[TicketRecord, ...]]:
        """The open tickets to offer: this channel's, then the asker's own (not twice)."""
        here = await self._lists.page(
            TicketQuery(ListKind.CHANNEL, team_id, user_id, channel_id),
            may_read,
            size=PICK_LIMIT,
            paged=False,
        )
        mine = await self._lists.page(
            TicketQuery(ListKind.MINE, team_id, user_id), may_read, size=PICK_LIMIT, paged=False
        )
        shown = {t.id for t in here.tickets}
        return here.tickets, tuple(t for t in mine.tickets if t.id not in shown)

    async def find(
        self,
        team_id: str,
        *,
        ticket_id: int | None,
        provider: str | None,
        number: str | None,
        may_read: MayRead,
    ) -> TicketRecord | None:
        """The ticket picked (by id) or typed (provider and number), if the asker may see it;
        None alike for one that does not exist and one they may not see."""
        if ticket_id is not None:
            found = await self._tickets.ticket(ticket_id)
            candidates = [found] if found is not None and found.team_id == team_id else []
        else:
            candidates = [
                t
                for t in await self._tickets.tickets_by_number(team_id, number or "")
                if t.provider == provider
            ]
        for ticket in candidates:
            if await may_read(ticket):
                return ticket
        return None

    async def add(
        self,
        ticket: TicketRecord,
        message: MessageRef,
        adder: Filer,
        file_ids: Sequence[str] = (),
        *,
        link_only: bool = False,
    ) -> AddResult:
        """Add ``message`` to ``ticket`` (``link_only``: only make its thread follow it)."""
        title = self.title(ticket)
        if link_only or not self.takes_comments(ticket):
            followed = await self._follow(ticket, message, adder)
            state = AddState.LINKED if followed else AddState.ALREADY
            return AddResult(state, ticket, title, followed=followed)
        sent = await self._comments.add_now(
            ticket, add_key(ticket.id, message), comment_body(message, adder, self._clock())
        )
        if sent is None:  # NOTE: kept already: whoever kept it sends it and follows the thread
            return AddResult(AddState.ALREADY, ticket, title)
        comment_state, reason = sent
        if comment_state is CommentState.GAVE_UP:
            return AddResult(AddState.REFUSED, ticket, title, reason=reason)
        followed = await self._follow(ticket, message, adder)
        attached, not_attached, redacted = await self._attach(ticket, message, file_ids)
        return AddResult(
            ADDED_AS[comment_state],
            ticket,
            title,
            attached=attached,
            not_attached=not_attached,
            reason=reason,
            followed=followed,
            redacted=redacted,
        )

    async def add_text(self, ticket: TicketRecord, key: str, text: str, adder: Filer) -> AddResult:
        """A workflow's text added to ``ticket`` under ``key`` (one per step run); the provider
        must take comments."""
        title = self.title(ticket)
        body = f"Added from a Slack workflow for {adder.name}:\n\n{text}"
        sent = await self._comments.add_now(ticket, key, body)
        if sent is None:
            return AddResult(AddState.ALREADY, ticket, title)
        comment_state, reason = sent
        return AddResult(ADDED_AS[comment_state], ticket, title, reason=reason)

    async def _follow(self, ticket: TicketRecord, message: MessageRef, adder: Filer) -> bool:
        if (ticket.channel_id, ticket.thread_ts) == (message.channel_id, message.thread_ts):
            return False  # the card's own thread follows it already
        return await self._threads.follow_thread(
            ticket.id,
            message.channel_id,
            message.thread_ts,
            user_id=adder.user_id,
            now=self._clock(),
        )

    async def _attach(
        self, ticket: TicketRecord, message: MessageRef, file_ids: Sequence[str]
    ) -> tuple[tuple[str, ...], tuple[str, ...], Redacted]:
        names = {f.id: f.name for f in message.files}
        chosen = [i for i in file_ids if i in names]
        if not chosen:
            return (), (), Redacted()
        provider = self._providers.get(ticket.provider)
        if not isinstance(provider, SupportsAttachTo) or self._files is None:
            title = self.title(ticket)
            why = tuple(f"{names[i]}: {title} takes no files on a ticket" for i in chosen)
            return (), why, Redacted()
        files, skipped = await self._files.fetch(chosen)
        # NOTE: the one check before files leave (bot.tickets.outgoing)
        files, redacted, left_out = await self._outgoing.files(provider.name, files)
        attached, failed = await provider.attach(ticket.ref, tuple(files))
        self._outgoing.sent(provider.name, redacted)
        return attached, (*skipped, *left_out, *failed), redacted


def comment_body(message: MessageRef, adder: Filer, now: float) -> str:
    """The comment: who added what, whose message from when, its words and its link."""
    author = message.author_name or message.author_id
    try:
        when = utc_time(float(message.message_ts))
    except ValueError:
        when = utc_time(now)
    by = f" by {author}" if author else ""
    lines = [f"Added from Slack by {adder.name}: a message{by}, {when}"]
    if message.text:
        lines.append("")
        lines.append(message.text)
    if message.permalink and message.permalink not in message.text:
        lines.append("")
        lines.append(f"Message: {message.permalink}")
    return "\n".join(lines)
