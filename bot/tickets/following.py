"""Following a filed ticket: its status and staff replies come back to its thread, and
people's replies in the thread go to the ticket.

``poll`` reads one ticket and announces what changed; the status poller decides when.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from bot.domain.disclosure import Redacted
from bot.domain.errors import FeatureMissing, RateLimited, TicketbotError
from bot.domain.records import TicketRecord
from bot.providers.base import (
    Provider,
    ReplyingProvider,
    SupportsStatus,
    reads_status,
    takes_replies,
)
from bot.store.marks import MarkQueries
from bot.store.polls import PollQueries
from bot.store.threads import ThreadQueries
from bot.store.tickets import TicketQueries
from bot.tickets.outcomes import TellsChanges
from bot.tickets.outgoing import Outgoing

# NOTE: a ticket of a provider whose table was removed is read again this much later (the
# table may come back with the next start); it is never closed for it.
HELD_SECONDS = 600.0

log = logging.getLogger(__name__)
SEEN_KEPT = 200  # staff message ids remembered per ticket

MayRead = Callable[[TicketRecord], Awaitable[bool]]


class Following:
    """Knows the store and the providers; tells people through a ``TellsChanges``."""

    def __init__(
        self,
        polls: PollQueries,
        threads: ThreadQueries,
        tickets: TicketQueries,
        marks: MarkQueries,
        providers: Mapping[str, Provider],
        poll_seconds: Mapping[str, float],
        announce: TellsChanges,
        clock: Callable[[], float] = time.time,
        outgoing: Outgoing | None = None,
    ) -> None:
        self._outgoing = outgoing or Outgoing({})
        self._clock = clock
        self._polls = polls
        self._followed = threads
        self._tickets = tickets
        self._marks = marks
        self._providers = providers
        self._poll_seconds = poll_seconds
        self._announce = announce

    def interval(self, provider: str) -> float:
        """The provider's poll interval, jittered so polls do not bunch up."""
        return self._poll_seconds.get(provider, 120.0) * random.uniform(0.8, 1.2)  # noqa: S311

    def database_away(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the database is away (an outage the store tells once)."""
        return self._polls.unavailable(exc)

    async def due(self, now: float, limit: int) -> list[TicketRecord]:
        return await self._polls.tickets_to_poll(now, limit)

    async def oldest_due(self) -> float | None:
        return await self._polls.oldest_poll_due()

    async def poll(self, ticket: TicketRecord) -> None:
        """Read one ticket; post what changed in its thread; schedule its next read."""
        polls = self._polls
        provider = self._providers.get(ticket.provider)
        if provider is None:  # its table was removed: held (said at start) until it is back
            await polls.delay_polls(ticket.provider, time.time() + HELD_SECONDS)
            return
        if not reads_status(provider):
            # NOTE: no status endpoint (VPSBG, or one that answered 404/405): nothing to follow.
            await polls.update_polled(
                ticket.id,
                status=ticket.status or "open",
                closed=True,
                seen_messages=ticket.seen_messages,
                next_poll_at=0,
            )
            return
        try:
            status = await provider.get(ticket.ref)
        except RateLimited as exc:
            wait = exc.retry_after or 2 * self.interval(ticket.provider)
            await polls.delay_polls(ticket.provider, time.time() + wait)
            return
        except FeatureMissing:
            await polls.stop_following(ticket.id)  # the provider's feature is off; said once
            return
        except TicketbotError as exc:
            log.warning("status read failed: %s", exc, extra={"provider": ticket.provider})
            await polls.update_polled(
                ticket.id,
                status=ticket.status or "open",
                closed=False,
                seen_messages=ticket.seen_messages,
                next_poll_at=time.time() + 2 * self.interval(ticket.provider),
            )
            return
        announce = self._announce
        seen = list(ticket.seen_messages)
        replied = False
        threads: list[TicketRecord] | None = None  # read once, only if there is news
        for message in status.messages:
            if message.id not in seen:
                threads = threads or await self._threads(ticket)
                for thread in threads:
                    await announce.staff_message(thread, provider.title, message)
                seen.append(message.id)
                replied = True
        if status.status != ticket.status:
            for thread in threads or await self._threads(ticket):
                await announce.status_changed(thread, provider.title, ticket.status, status.status)
        now = self._clock()
        await polls.update_polled(
            ticket.id,
            status=status.status,
            closed=status.closed,
            seen_messages=tuple(seen[-SEEN_KEPT:]),
            next_poll_at=time.time() + self.interval(ticket.provider),
            done_at=now if status.closed else None,
            replied_at=now if replied else None,
        )
        if status.status != ticket.status:
            await announce.tickets_changed(ticket.team_id, ticket.filed_by)

    async def _threads(self, ticket: TicketRecord) -> list[TicketRecord]:
        """The ticket as each thread that follows it sees it: its card's, then the threads of
        messages added to it (with no card of their own to update)."""
        return [
            ticket,
            *(
                replace(ticket, channel_id=channel, thread_ts=thread_ts, card_ts=None)
                for channel, thread_ts in await self._followed.followed_threads(ticket.id)
            ),
        ]

    async def thread_ticket(
        self, channel_id: str, thread_ts: str, event_id: str
    ) -> tuple[TicketRecord, ReplyingProvider] | None:
        """The ticket whose thread this is, and its provider, if a reply in it should go to the
        ticket: once per event (Slack re-delivers), and only where the provider takes replies."""
        ticket = await self._tickets.ticket_by_thread(
            channel_id, thread_ts
        ) or await self._followed.ticket_by_followed_thread(channel_id, thread_ts)
        if ticket is None or not await self._marks.remember_event(event_id):
            return None
        provider = self._providers.get(ticket.provider)
        if not takes_replies(provider):
            # NOTE: none, or its reply endpoint answered 404/405 (the thread was told once)
            return None
        return ticket, provider

    async def reply(self, ticket: TicketRecord, provider: ReplyingProvider, text: str) -> Redacted:
        """Add ``text`` to the ticket (``thread_ticket`` found both), redacted by the provider's
        policy (``bot.tickets.outgoing``); returns what was redacted."""
        text, redacted = await self._outgoing.text(provider.name, text)
        await provider.reply(ticket.ref, text)
        self._outgoing.sent(provider.name, redacted)
        return redacted

    async def readable(self, team_id: str, number: str, may_read: MayRead) -> list[TicketRecord]:
        """The tickets with this number that ``may_read`` lets the asker see."""
        return [
            record
            for record in await self._tickets.tickets_by_number(team_id, number)
            if await may_read(record)
        ]

    async def live_status(self, record: TicketRecord) -> str:
        """The ticket's status, read from the provider where it can say, else the last known."""
        provider = self._providers.get(record.provider)
        if isinstance(provider, SupportsStatus):
            return (await provider.get(record.ref)).status
        return record.status or "unknown"

    def title(self, provider: str) -> str:
        found = self._providers.get(provider)
        return found.title if found else provider
