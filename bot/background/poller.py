"""Follows open tickets: status changes and staff replies go to the ticket's thread.

Each provider is read at its own interval (``poll_seconds``, jittered), a few tickets at a
time; a 429 pushes that provider's next polls back; a closed ticket is no longer read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time

from bot.deps import Deps
from bot.domain.errors import FeatureMissing, RateLimited, TicketbotError
from bot.domain.records import TicketRecord
from bot.domain.tickets import TicketRef
from bot.providers.adapter import STATUS
from bot.providers.base import SupportsStatus
from bot.slack.announce import Announcer

log = logging.getLogger(__name__)
IDLE_SECONDS = 5.0
BATCH = 50
CONCURRENCY = 4


class StatusPoller:
    def __init__(self, deps: Deps, announcer: Announcer) -> None:
        self._deps = deps
        self._announcer = announcer
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self.lag = 0.0  # seconds the most overdue ticket waited past its poll time
        self._stopping = asyncio.Event()

    def _interval(self, provider: str) -> float:
        seconds = self._deps.settings.providers[provider].poll_seconds
        return seconds * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not crypto)

    def stop(self) -> None:
        """Finish the pass under way (its thread posts), then end."""
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            wait = IDLE_SECONDS
            try:
                now = time.time()
                due = await self._deps.store.tickets_to_poll(now, BATCH)
                self.lag = max((now - t.next_poll_at for t in due if t.next_poll_at), default=0.0)
                self._deps.metrics.poller_lag.set(self.lag)
                await asyncio.gather(*(self._poll(ticket) for ticket in due))
                oldest = await self._deps.store.oldest_poll_due()
                if oldest is not None:
                    wait = min(IDLE_SECONDS, max(0.05, oldest - time.time()))
            except Exception:
                # NOTE: no user is waiting on a pass; the next one tries again
                log.exception("status poll pass failed", extra={"ref": secrets.token_hex(4)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=wait)

    async def _poll(self, ticket: TicketRecord) -> None:
        async with self._slots, self._deps.lane.slot(deferred=True):
            await self.poll(ticket)

    async def poll(self, ticket: TicketRecord) -> None:
        """Read one ticket; post what changed in its thread; schedule its next read."""
        store = self._deps.store
        provider = self._deps.providers.get(ticket.provider)
        if (
            provider is None
            or not isinstance(provider, SupportsStatus)
            or STATUS in provider.features_off
        ):
            # NOTE: no status endpoint (VPSBG, or one that answered 404/405): nothing to follow.
            await store.update_polled(
                ticket.id,
                status=ticket.status or "open",
                closed=True,
                seen_messages=ticket.seen_messages,
                next_poll_at=0,
            )
            return
        ref = TicketRef(
            provider=ticket.provider,
            id=ticket.provider_ticket_id,
            number=ticket.number,
            url=ticket.url,
        )
        try:
            status = await provider.get(ref)
        except RateLimited as exc:
            wait = exc.retry_after or 2 * self._interval(ticket.provider)
            await store.delay_polls(ticket.provider, time.time() + wait)
            return
        except FeatureMissing:
            await store.stop_following(ticket.id)  # the provider's feature is off; said once
            return
        except TicketbotError as exc:
            log.warning("status read failed: %s", exc, extra={"provider": ticket.provider})
            await store.update_polled(
                ticket.id,
                status=ticket.status or "open",
                closed=False,
                seen_messages=ticket.seen_messages,
                next_poll_at=time.time() + 2 * self._interval(ticket.provider),
            )
            return
        seen = list(ticket.seen_messages)
        for message in status.messages:
            if message.id not in seen:
                await self._announcer.staff_message(ticket, provider.title, message)
                seen.append(message.id)
        if status.status != ticket.status:
            await self._announcer.status_changed(
                ticket, provider.title, ticket.status, status.status
            )
        await store.update_polled(
            ticket.id,
            status=status.status,
            closed=status.closed,
            seen_messages=tuple(seen[-200:]),
            next_poll_at=time.time() + self._interval(ticket.provider),
        )
