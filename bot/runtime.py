"""The bot's background life: resume what a stopped process left, run the retry worker and
the status poller, and on shutdown let in-flight work finish (or park it for next time)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial

from bot.announce import Announcer
from bot.background.poller import StatusPoller
from bot.background.retry_worker import RetryWorker
from bot.deps import Deps

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    worker: RetryWorker
    poller: StatusPoller


@asynccontextmanager
async def running(deps: Deps, *, drain_seconds: float | None = None) -> AsyncIterator[Runtime]:
    """The background life; on exit, in-flight work gets ``drain_seconds`` (default: the
    ``[ticketbot] drain_seconds`` setting) to finish."""
    resumed = await deps.store.resume_interrupted()
    if resumed:
        log.info("resuming submissions a stopped process left", extra={"count": resumed})
    announcer = Announcer(deps)
    for provider in deps.providers.values():
        # NOTE: admins hear once of each optional feature a provider turns out not to have
        provider.on_feature_off = partial(_feature_off, deps, announcer, provider.title)
    runtime = Runtime(RetryWorker(deps, announcer), StatusPoller(deps, announcer))
    deps.filing.on_scheduled = runtime.worker.wake.set
    loops = [
        asyncio.create_task(runtime.worker.run(), name="retry-worker"),
        asyncio.create_task(runtime.poller.run(), name="status-poller"),
    ]
    try:
        yield runtime
    finally:
        for task in loops:
            task.cancel()
        for task in loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await drain(
            deps, deps.settings.options.drain_seconds if drain_seconds is None else drain_seconds
        )


def _feature_off(deps: Deps, announcer: Announcer, title: str, feature: str, why: str) -> None:
    deps.spawn(announcer.feature_off(title, feature, why))


async def drain(deps: Deps, seconds: float) -> None:
    """Wait for in-flight provider calls; what is still running then is cancelled and its
    submission stays unfinished in the database, to be resumed at the next start."""
    deps.lane.begin_all()  # NOTE: a thread reply waiting its turn is in no database
    pending = list(deps.background)
    if not pending:
        return
    log.info("finishing in-flight work", extra={"tasks": len(pending)})
    _done, still = await asyncio.wait(pending, timeout=seconds)
    for task in still:
        task.cancel()
    if still:
        log.warning("parked unfinished work for the next start", extra={"tasks": len(still)})
