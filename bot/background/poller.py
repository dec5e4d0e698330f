"""Follows open tickets: each provider's tickets are read at their own slots, one interval
(``poll_seconds``) apart and spread evenly over it (``bot.tickets.poll_slots``), claimed in
the store so that replicas sharing it read each ticket once per interval.

Per provider, this process starts reads no faster than ``PACE`` times the provider's even rate
(its open tickets over its interval) and has at most half its ``max_connections`` out at once
(``bot.background.pacing``): a backlog (tickets never read yet, a hold just over, an outage)
drains steadily instead of all at once, and one slow provider holds up no other's reads. A
429 holds that provider's polls on every replica until its Retry-After is over; a closed
ticket is no longer read. What a read finds is ``Following.poll``'s business.

Each pass also sends the provider comments whose retry is due, and the response-time
reminders whose target has passed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time

from bot.background.pacing import ProviderReads
from bot.domain.polls import ClaimedPoll, ProviderPolls
from bot.domain.records import TicketRecord
from bot.lane import Lane
from bot.metrics import Metrics
from bot.tickets.comments import ProviderComments
from bot.tickets.following import Following
from bot.tickets.response_times import ResponseTimes

log = logging.getLogger(__name__)
IDLE_SECONDS = 5.0
TICK = 0.2  # NOTE: the least time between passes while reads are due: each claims a batch
UNPACED = 50  # reads at once of a provider this process cannot read (no table: held)


class StatusPoller:
    def __init__(
        self,
        following: Following,
        lane: Lane,
        metrics: Metrics,
        comments: ProviderComments,
        response_times: ResponseTimes,
    ) -> None:
        self._following = following
        self._comments = comments
        self._response_times = response_times
        self._lane = lane
        self._metrics = metrics
        self._providers: dict[str, ProviderReads] = {}
        self._failed: list[BaseException] | None = None  # pass_once's reads that raised
        self.lag = 0.0  # seconds the most overdue ticket waited past its poll time
        self._stopping = asyncio.Event()
        self._passing = True  # until the first pass has ended
        self._next_pass_at = 0.0

    def resting(self) -> bool:
        """No pass and no read is under way, and no pass is due before the sleep it is in
        ends."""
        reading = any(p.tasks for p in self._providers.values())
        return not self._passing and not reading and time.time() < self._next_pass_at

    def stop(self) -> None:
        """Finish the reads under way (their thread posts), then end."""
        self._stopping.set()

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._passing = True
                wait = IDLE_SECONDS
                try:
                    wait = await self.dispatch()
                except Exception as exc:
                    # NOTE: no user is waiting on a pass; the next one tries again (a database
                    # outage is told once, by the store)
                    if not self._following.database_away(exc):
                        log.exception(
                            "status poll pass failed", extra={"ref": secrets.token_hex(4)}
                        )
                self._next_pass_at, self._passing = time.time() + wait, False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=wait)
        finally:
            await self.settled()

    async def pass_once(self) -> float:
        """One pass, its reads finished: the polls due (as many as the pace allows), the
        comments due, the reminders due; returns how long until the next pass is worth
        making (tests call this to skip the wait)."""
        failed: list[BaseException] = []
        self._failed = failed
        try:
            wait = await self.dispatch()
            await self.settled()
        finally:
            self._failed = None
        if failed:
            raise failed[0]
        return wait

    async def settled(self) -> None:
        """Every read started has finished."""
        while reads := [task for p in self._providers.values() for task in p.tasks]:
            await asyncio.gather(*reads, return_exceptions=True)

    async def dispatch(self) -> float:
        """Start the reads due (they go on as tasks: ``settled``), send the comments due;
        how long until the next pass is worth making."""
        now = self._following.now()
        plan = await self._following.plan()
        self.lag = max((now - p.next_due for p in plan.values()), default=0.0)
        self.lag = max(0.0, self.lag)
        self._metrics.poller_lag.set(self.lag)
        waits = [IDLE_SECONDS]
        for provider, polls in plan.items():
            waits.append(await self._start_reads(provider, polls, now))
        # NOTE: a read first, and a slot only for work: the claims are writes, and on SQLite
        # every write queues behind the filings' (a pass runs many times a second under load)
        comment_in = await self._comments.next_due_in()
        comments_due = comment_in is not None and comment_in <= 0
        if comments_due or self._response_times.check_due():
            async with self._lane.slot(deferred=True):
                if comments_due:
                    await self._comments.send_due()
                await self._response_times.remind_overdue()
            if comments_due:
                comment_in = await self._comments.next_due_in()
        if comment_in is not None:
            waits.append(comment_in)
        return max(0.05, min(waits))

    async def _start_reads(self, provider: str, polls: ProviderPolls, now: float) -> float:
        """Claim and start as many of the provider's due reads as its pace and its free
        connections allow; how long until it is worth looking again."""
        reads = self._providers.get(provider)
        if reads is None:
            known = self._following.knows(provider)
            at_once = self._following.reads_at_once(provider) if known else UNPACED
            reads = self._providers[provider] = ProviderReads(now, at_once, paced=known)
        reads.hold(polls.held_until)  # NOTE: another replica's 429 holds this one's reads too
        if reads.held_until > now:
            return reads.held_until - now
        if polls.next_due > now:
            return polls.next_due - now
        count = reads.room(now, polls, self._following.interval(provider))
        if count <= 0:
            return TICK
        claimed = await self._following.claim(provider, now, count)
        reads.claimed(len(claimed))
        for one in claimed:
            task = asyncio.create_task(self._read(reads, one), name=f"poll-{provider}")
            reads.tasks.add(task)
            task.add_done_callback(reads.tasks.discard)
            task.add_done_callback(self._done)
        return TICK

    def _done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or (exc := task.exception()) is None:
            return
        if self._failed is not None:
            self._failed.append(exc)  # pass_once raises it
        # NOTE: no user is waiting on a poll; the ticket's claim lapses and it is read again
        # (a database outage is told once, by the store)
        elif not self._following.database_away(exc):
            log.error("status poll failed", exc_info=exc, extra={"ref": secrets.token_hex(4)})

    async def _read(self, reads: ProviderReads, claimed: ClaimedPoll) -> None:
        async with reads.slots, self._lane.slot(deferred=True):
            if reads.held_until > self._following.now():
                # NOTE: claimed before the provider said 429 (here or on another replica)
                await self._following.read_later(claimed.ticket, reads.held_until)
                return
            reads.hold(await self._following.poll(claimed.ticket, claimed.seq))

    async def poll(self, ticket: TicketRecord) -> None:
        """Read one ticket now (tests call this to skip the wait)."""
        await self._following.poll(ticket)
