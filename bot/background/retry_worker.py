"""Retries parked submissions when they fall due, until filed or the window runs out; takes
over a saved submission whose first attempt never started; and posts ticket cards Slack would
not take when the ticket was filed. Every attempt goes through ``FilingService.file``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time

from bot.domain.records import Submission
from bot.lane import Lane
from bot.tickets.cards import Cards
from bot.tickets.filing import FilingService

log = logging.getLogger(__name__)
IDLE_SECONDS = 5.0


class RetryWorker:
    def __init__(
        self, filing: FilingService, cards: Cards, lane: Lane, wake: asyncio.Event
    ) -> None:
        """``wake``: set by the services when a retry or an owed card falls due sooner than
        the worker sleeps (made before them and it, and handed to each)."""
        self._filing = filing
        self._cards = cards
        self._lane = lane
        self.wake = wake
        self._stopping = False
        self._passing = True  # until the first pass has ended
        self._next_pass_at = 0.0

    def resting(self) -> bool:
        """No pass is under way, and none is due before the sleep it is in ends."""
        return not self._passing and not self.wake.is_set() and time.time() < self._next_pass_at

    def stop(self) -> None:
        """Finish the pass under way (its attempts and cards), then end."""
        self._stopping = True
        self.wake.set()

    async def run(self) -> None:
        """Until stopped: retry what is due, then sleep until the next is due (at most 5 s)."""
        while not self._stopping:
            self._passing = True
            wait = IDLE_SECONDS
            try:
                # NOTE: side by side: after an outage hundreds fall due, each waiting on the
                # provider; one after another they would drain at a few per second.
                due = await self._filing.due(time.time())
                await asyncio.gather(*(self.retry(submission) for submission in due))
                await self._cards.post_owed(time.time())
                if (next_at := await self._next_due_at()) is not None:
                    wait = min(IDLE_SECONDS, max(0.01, next_at - time.time()))
            except Exception as exc:
                # NOTE: no user is waiting on a pass; the next one tries again (a database
                # outage is told once, by the store)
                if not self._filing.database_away(exc):
                    log.exception("retry worker pass failed", extra={"ref": secrets.token_hex(4)})
            if self._stopping:
                return
            self.wake.clear()
            self._next_pass_at, self._passing = time.time() + wait, False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=wait)

    async def _next_due_at(self) -> float | None:
        """When the next retry or owed card falls due, if any does."""
        known = [
            at
            for at in (await self._filing.next_due_at(), await self._cards.next_due_at())
            if at is not None
        ]
        return min(known, default=None)

    async def retry(self, submission: Submission) -> None:
        async with self._lane.slot(deferred=True):
            await self._filing.retry(submission)
