"""The bot's background life: resume what a stopped process left, run the retry worker and
the status poller, and on shutdown let in-flight work finish (or park it for next time)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.background.poller import StatusPoller
from bot.background.retry_worker import RetryWorker
from bot.compose import Bot
from bot.memory import give_back_memory

log = logging.getLogger(__name__)
PRUNE_EVERY = 3600.0  # seconds between pruning passes (Store.prune), across all replicas
IDLE_POLL_SECONDS = 0.01
IDLE_CONFIRMATIONS = 3  # loop turns in a row with nothing under way


@dataclasses.dataclass
class Runtime:
    worker: RetryWorker
    poller: StatusPoller
    bot: Bot

    def busy(self) -> list[str]:
        """What is under way or waiting its turn now; empty when the bot is idle."""
        lane = self.bot.lane
        found = [
            f"{self.bot.jobs.running} background jobs" if self.bot.jobs.running else "",
            f"{lane.queued} jobs waiting for the lane" if lane.queued else "",
            f"{lane.answering_now} Slack requests being answered" if lane.answering_now else "",
            "" if self.worker.resting() else "a retry worker pass",
            "" if self.poller.resting() else "a status poller pass",
        ]
        return [what for what in found if what]

    async def idle(self) -> None:
        """Return once nothing is under way or waiting its turn: no job after an ack (begun
        or deferred), no Slack request being answered, no retry or poll pass running or due.
        What is scheduled for later (a retry's back-off, the next poll) is not under way.

        The barrier a test waits on before asserting that something did *not* happen: what
        would have done it has run by then, however slow the machine.
        """
        calm = 0
        while calm < IDLE_CONFIRMATIONS:
            if self.bot.jobs.running:
                calm = 0
                await self.bot.jobs.wait_running()
            elif self.busy():
                calm = 0
                await asyncio.sleep(IDLE_POLL_SECONDS)  # NOTE: the lane begins jobs on a timer
            else:
                calm += 1
                await asyncio.sleep(0)  # NOTE: a job's end may start another in its callbacks


def poller(bot: Bot) -> StatusPoller:
    """A status poller over ``bot``'s services (its loop not started)."""
    return StatusPoller(bot.following, bot.lane, bot.metrics, bot.comments, bot.response_times)


@asynccontextmanager
async def running(bot: Bot, *, drain_seconds: float | None = None) -> AsyncIterator[Runtime]:
    """The background life; on exit, in-flight work gets ``drain_seconds`` (default: the
    ``[ticketbot] drain_seconds`` setting) to finish."""
    dead_after = bot.settings.options.replica_timeout_seconds
    # NOTE: before any claim: the others must see this one alive
    await bot.store.replicas.heartbeat()
    await count_for_metrics(bot, dead_after)
    resumed = await bot.store.submissions.resume_interrupted(dead_after, at_start=True)
    await bot.store.cards.release_owed_cards(dead_after, at_start=True)
    if resumed:
        log.info("resuming submissions a stopped process left", extra={"count": resumed})
    if orphans := await bot.store.orphans.unconfigured(bot.providers):
        log.warning(unconfigured_text(orphans))
    # NOTE: loops of its own: a runtime that ends must not stop another's (tests nest them)
    runtime = Runtime(RetryWorker(bot.filing, bot.cards, bot.lane, bot.wakeup), poller(bot), bot)
    loops = [
        asyncio.create_task(runtime.worker.run(), name="retry-worker"),
        asyncio.create_task(runtime.poller.run(), name="status-poller"),
    ]
    heart = asyncio.create_task(keep_alive(bot, dead_after), name="heartbeat")
    trim = asyncio.create_task(give_back_memory(), name="heap-trim")
    try:
        yield runtime
    finally:
        runtime.worker.stop()
        runtime.poller.stop()
        heart.cancel()
        trim.cancel()
        seconds = bot.settings.options.drain_seconds if drain_seconds is None else drain_seconds
        await bot.jobs.drain(seconds, alongside=loops)
        # NOTE: a clean stop is no missing heartbeat: the others take what it parked at once.
        # A database gone already (or closed: aiosqlite's ValueError) leaves the row to age.
        with contextlib.suppress(*bot.store.errors, ValueError):
            await bot.store.replicas.leave()


async def keep_alive(bot: Bot, dead_after: float) -> None:
    """This process's heartbeat, several times per ``dead_after``, on its own task (a long
    retry pass must not make a live replica look dead); and what a dead one was filing is
    taken over for the retry worker."""
    while True:
        await asyncio.sleep(dead_after / 5)
        try:
            await bot.store.replicas.heartbeat()
            await count_for_metrics(bot, dead_after)
            if await bot.store.marks.once("retention", every=PRUNE_EVERY):
                # NOTE: on its own task: a long pass must not hold up the next heartbeat
                bot.jobs.spawn(keep_within_retention(bot, bot.clock()))
            if not bot.store.outage.settled(dead_after):
                # NOTE: after an outage, the others' heartbeats are stale until they beat
                # again: taking over now would take work they are finishing
                continue
            taken = await bot.store.submissions.resume_interrupted(dead_after)
            cards = await bot.store.cards.release_owed_cards(dead_after)
            if taken or cards:
                log.warning(
                    "took over what a stopped replica left",
                    extra={"submissions": taken, "cards": cards},
                )
                bot.wakeup.set()
        except Exception as exc:
            # NOTE: the heartbeat must outlive any one failure: a replica whose heartbeat
            # stopped looks dead to the others while it still files
            if bot.store.unavailable(exc):
                log.debug("heartbeat failed: %s", type(exc).__name__)  # the outage is told once
            else:
                log.exception("heartbeat failed", extra={"ref": secrets.token_hex(4)})


async def count_for_metrics(bot: Bot, dead_after: float) -> None:
    """The gauges only the database knows, read with each heartbeat."""
    alive, stale = await bot.store.replicas.replica_counts(dead_after)
    bot.metrics.replicas_alive.set(alive)
    bot.metrics.replicas_stale.set(stale)
    bot.metrics.cards_owed.set(await bot.store.cards.count_owed_cards())


def unconfigured_text(orphans: dict[str, tuple[int, int]]) -> str:
    """One line: the providers no longer configured that the database still has work for."""
    each = ", ".join(
        f"{name} ({tickets} open tickets, {queued} unfinished submissions)"
        for name, (tickets, queued) in orphans.items()
    )
    return (
        f"providers no longer in the config: {each}; held, not followed or filed, until the "
        "table is back (or renamed in the database: docs/operations.md, Removing a provider)"
    )


async def keep_within_retention(bot: Bot, now: float) -> None:
    """Drop or empty what ``retention_days`` no longer keeps, and what is kept for a fixed
    time past it (``Store.prune``; one replica an hour does it)."""
    pruned = await bot.store.prune(now - bot.settings.options.retention_days * 86_400)
    if any(dataclasses.astuple(pruned)):
        log.info("retention: pruned", extra=dataclasses.asdict(pruned))
