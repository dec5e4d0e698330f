"""Following a filed ticket: its status and staff replies come back to its thread, and
people's replies in the thread go to the ticket.

``poll`` reads one ticket, announces what changed and sets its next read at the ticket's next
slot (``bot.tickets.poll_slots``); the status poller decides how many to read at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from bot.domain.disclosure import Redacted
from bot.domain.errors import FeatureMissing, RateLimited, TicketbotError
from bot.domain.polls import ClaimedPoll, ProviderPolls
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
from bot.tickets.poll_slots import next_slot

# NOTE: a ticket of a provider whose table was removed is read again this much later (the
# table may come back with the next start); it is never closed for it.
HELD_SECONDS = 600.0
DEFAULT_POLL_SECONDS = 120.0
DEFAULT_CONNECTIONS = 50
# NOTE: a claimed poll goes back to the pool if not read by then (a replica that died holding
# it); longer than any read can take (``ProviderHttp``: twice the provider's timeout)
POLL_LEASE = 120.0
MIN_HOLD = 1.0  # a "Retry-After: 0" still holds a provider's polls this long

log = logging.getLogger(__name__)
# NOTE: staff messages read of one ticket, in the provider's order; a ticket with more is told
# no more (their ids are remembered only while the provider still lists them)
SEEN_KEPT = 1_000
TOLD_PER_POLL = 20  # staff messages told per read of a ticket; the rest at the next reads

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
        max_connections: Mapping[str, int] | None = None,
    ) -> None:
        self._outgoing = outgoing or Outgoing({})
        self._max_connections = max_connections or {}
        self._clock = clock
        self._polls = polls
        self._followed = threads
        self._tickets = tickets
        self._marks = marks
        self._providers = providers
        self._poll_seconds = poll_seconds
        self._announce = announce

    def now(self) -> float:
        """The time polls go by (the clock tests move)."""
        return self._clock()

    def knows(self, provider: str) -> bool:
        """Whether ``provider`` is configured in this process."""
        return provider in self._providers

    def interval(self, provider: str) -> float:
        """The provider's poll interval: each ticket is read once per interval."""
        return self._poll_seconds.get(provider, DEFAULT_POLL_SECONDS)

    def reads_at_once(self, provider: str) -> int:
        """How many of the provider's tickets may be read at once: half its connections, so
        filings and replies always find one free."""
        return max(1, self._max_connections.get(provider, DEFAULT_CONNECTIONS) // 2)

    def database_away(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the database is away (an outage the store tells once)."""
        return self._polls.unavailable(exc)

    async def plan(self) -> dict[str, ProviderPolls]:
        """Per provider: its followed tickets, the earliest due, and its hold (a 429)."""
        return await self._polls.poll_plan()

    async def claim(self, provider: str, now: float, limit: int) -> list[ClaimedPoll]:
        """Up to ``limit`` of the provider's due tickets, each claimed for this process alone."""
        return await self._polls.claim_polls(provider, now, limit, POLL_LEASE)

    def _next_read(self, ticket: TicketRecord, seq: int | None, *, failed: bool = False) -> float:
        """The ticket's next slot at least half an interval on (a late read is not followed
        by an early one), or a whole one after a failed read."""
        interval = self.interval(ticket.provider)
        after = self._clock() + interval * (1.0 if failed else 0.5)
        return next_slot(ticket.id if seq is None else seq, interval, after)

    async def read_later(self, ticket: TicketRecord, at: float) -> None:
        """A claimed read not made (its provider is held): the ticket is read at ``at``."""
        await self._polls.poll_again_at(ticket.id, at)

    async def poll(self, ticket: TicketRecord, seq: int | None = None) -> float | None:
        """Read one ticket; post what changed in its thread; schedule its next read at its
        slot (``seq``: its place among its provider's, as its claim said). Returns when the
        provider's hold ends if it answered 429 (None otherwise)."""
        polls = self._polls
        provider = self._providers.get(ticket.provider)
        if provider is None:  # its table was removed: held (said at start) until it is back
            await polls.delay_polls(ticket.provider, self._clock() + HELD_SECONDS)
            return None
        if not reads_status(provider):
            # NOTE: no status endpoint (VPSBG, or one that answered 404/405): nothing to follow.
            await polls.update_polled(
                ticket.id,
                status=ticket.status or "open",
                closed=True,
                seen_messages=ticket.seen_messages,
                next_poll_at=0,
            )
            return None
        try:
            status = await provider.get(ticket.ref)
        except RateLimited as exc:
            # NOTE: the provider's limit is its account's, shared by every replica: all of them
            # hold its polls until Retry-After is over; this ticket is read first thing after
            wait = 2 * self.interval(ticket.provider)
            if exc.retry_after is not None:
                wait = max(MIN_HOLD, exc.retry_after)
            until = self._clock() + wait
            await polls.hold_polls(ticket.provider, until)
            await polls.poll_again_at(ticket.id, until)
            return until
        except FeatureMissing:
            await polls.stop_following(ticket.id)  # the provider's feature is off; said once
            return None
        except TicketbotError as exc:
            log.warning("status read failed: %s", exc, extra={"provider": ticket.provider})
            await polls.update_polled(
                ticket.id,
                status=ticket.status or "open",
                closed=False,
                seen_messages=ticket.seen_messages,
                next_poll_at=self._next_read(ticket, seq, failed=True),
            )
            return None
        announce = self._announce
        listed = status.messages[:SEEN_KEPT]
        known = set(ticket.seen_messages)
        news = [message for message in listed if message.id not in known][:TOLD_PER_POLL]
        threads: list[TicketRecord] | None = None  # read once, only if there is news
        for message in news:
            threads = threads or await self._threads(ticket)
            for thread in threads:
                await announce.staff_message(thread, provider.title, message)
            known.add(message.id)
        # NOTE: only ids the provider still lists: bounded by what it lists, and none forgotten
        # while it lists them (a window of the last ids told forgot the oldest of a long
        # ticket's, and told them again at every read)
        seen = [message.id for message in listed if message.id in known]
        replied = bool(news)
        if status.status != ticket.status:
            for thread in threads or await self._threads(ticket):
                await announce.status_changed(thread, provider.title, ticket.status, status.status)
        now = self._clock()
        await polls.update_polled(
            ticket.id,
            status=status.status,
            closed=status.closed,
            seen_messages=tuple(seen),
            next_poll_at=self._next_read(ticket, seq),
            done_at=now if status.closed else None,
            replied_at=now if replied else None,
        )
        if status.status != ticket.status:
            await announce.tickets_changed(ticket.team_id, ticket.filed_by)
        return None

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
