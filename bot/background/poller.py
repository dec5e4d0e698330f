"""Follows open tickets: each provider is read at its own interval (``poll_seconds``,
jittered), a few tickets at a time; a 429 pushes that provider's next polls back; a closed
ticket is no longer read. What a read finds is ``Following.poll``'s business.

Each pass also sends the provider comments whose retry is due, and the response-time
reminders whose target has passed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time

from bot.domain.records import TicketRecord
from bot.lane import Lane
from bot.metrics import Metrics
from bot.tickets.comments import ProviderComments
from bot.tickets.following import Following
from bot.tickets.response_times import ResponseTimes

log = logging.getLogger(__name__)
IDLE_SECONDS = 5.0
BATCH = 50
CONCURRENCY = 4


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
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self.lag = 0.0  # seconds the most overdue ticket waited past its poll time
        self._stopping = asyncio.Event()
        self._passing = True  # until the first pass has ended
        self._next_pass_at = 0.0

    def resting(self) -> bool:
        """No pass is under way, and none is due before the sleep it is in ends."""
        return not self._passing and time.time() < self._next_pass_at

    def stop(self) -> None:
        """Finish the pass under way (its thread posts), then end."""
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            self._passing = True
            wait = IDLE_SECONDS
            try:
                wait = await self.pass_once()
            except Exception as exc:
                # NOTE: no user is waiting on a pass; the next one tries again (a database
                # outage is told once, by the store)
                if not self._following.database_away(exc):
                    log.exception("status poll pass failed", extra={"ref": secrets.token_hex(4)})
            self._next_pass_at, self._passing = time.time() + wait, False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=wait)

    async def pass_once(self) -> float:
        """One pass: the polls due, the comments due, the reminders due; returns how long
        until the next poll or comment falls due (tests call this to skip the wait)."""
        now = time.time()
        oldest = await self._following.oldest_due()
        self.lag = max(0.0, now - oldest) if oldest else 0.0
        self._metrics.poller_lag.set(self.lag)
        due = await self._following.due(now, BATCH)
        await asyncio.gather(*(self._poll(ticket) for ticket in due))
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
        waits = [IDLE_SECONDS]
        if (oldest := await self._following.oldest_due()) is not None:
            waits.append(oldest - time.time())
        if comment_in is not None:
            waits.append(comment_in)
        return max(0.05, min(waits))

    async def _poll(self, ticket: TicketRecord) -> None:
        async with self._slots, self._lane.slot(deferred=True):
            await self.poll(ticket)

    async def poll(self, ticket: TicketRecord) -> None:
        """Read one ticket now (tests call this to skip the wait)."""
        await self._following.poll(ticket)
