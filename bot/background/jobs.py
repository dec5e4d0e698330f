"""The one owner of background work, shaped like aiojobs' ``Scheduler``: ``spawn`` runs a job
now, ``defer`` begins one in its turn, ``drain`` lets what is in flight finish for a while and
parks the rest, ``close`` ends what is left, and a failure no job caught reaches one
``exception_handler``.

When a job computes is the lane's policy (``bot.lane``): a modal's job holds a slot at once,
work nobody watches gives way to Slack's requests. The lane knows no tasks; this owner knows
no priorities.

NOTE: not aiojobs itself (1.4.0 fits the shape): its ``spawn`` is a coroutine (it may wait for
a pending slot), and three of our spawners are plain callbacks (the lane's timer beginning a
deferred job, ``PacedEdits``' flush, a provider's feature-off hook), each of which would need
a task to spawn its task; its limit and pending queue would duplicate the lane's slots (held
only while computing, not for a job's life); and its ``close`` reports every job it cancels as
a failure, where a job cut short at a drain is parked work the store resumes, said once in a
count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Collection, Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any

from bot.lane import Lane

log = logging.getLogger(__name__)
CLOSE_SECONDS = 0.1  # what a cancelled job gets to unwind at ``close``

Work = Coroutine[Any, Any, Any]
Failed = Callable[[Exception], Awaitable[None]]  # a job's own report of what it raised
ExceptionHandler = Callable[[BaseException], None]


def log_failure(exc: BaseException) -> None:
    """The default ``exception_handler``: one line with a reference id; the traceback under
    the same id at debug level (no job that could tell a person raised it)."""
    ref = secrets.token_hex(4)
    log.warning("background work failed: %s", type(exc).__name__, extra={"ref": ref})
    log.debug("background work failed", exc_info=exc, extra={"ref": ref})


class Jobs:
    def __init__(self, lane: Lane, exception_handler: ExceptionHandler = log_failure) -> None:
        self._lane = lane
        self._handler = exception_handler
        self._tasks: set[asyncio.Task[Any]] = set()
        self._waiting: dict[int, Work] = {}  # deferred, not begun: id → its work
        self._closed = False

    def spawn(self, work: Work, *, first: bool = False, failed: Failed | None = None) -> None:
        """Run ``work`` now. ``first``: a modal's job (a person is looking): it holds a lane
        slot from the start, over the limit if need be; without it the job holds none (it
        takes one where it computes, as the retry worker does). ``failed``: what the job does
        with an exception it raised (tell the user); without it, the exception handler hears."""
        if self._closed:
            work.close()
            return
        slot = self._lane.slot(first=True) if first else None
        self._start(self._run(work, failed, slot))

    def defer(self, work: Work, *, failed: Failed | None = None) -> None:
        """Work after the ack nobody watches in real time (filing a saved submission, copying a
        reply): it begins in its turn (``bot.lane``) and then holds a deferred slot. Until
        then it is no task, only an entry; if the process closes first, it never begins."""
        if self._closed:
            work.close()
            return
        key = id(work)
        self._waiting[key] = work

        def begin(deferred_at: float) -> None:
            if (waiting := self._waiting.pop(key, None)) is not None:
                slot = self._lane.slot(deferred=True, deferred_at=deferred_at)
                self._start(self._run(waiting, failed, slot))

        self._lane.defer(begin)

    @property
    def idle(self) -> bool:
        """No job running, none waiting to begin, and none waiting for a slot or its turn."""
        return not self._tasks and not self._waiting and self._lane.queued == 0

    @property
    def running(self) -> int:
        """Jobs begun and not ended."""
        return len(self._tasks)

    async def wait_running(self) -> None:
        """Return once the jobs running now have ended (not those begun meanwhile)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks))

    def __len__(self) -> int:
        """Jobs running, and deferred ones not begun."""
        return len(self._tasks) + len(self._waiting)

    async def drain(self, seconds: float, *, alongside: Collection[asyncio.Task[Any]] = ()) -> int:
        """Let in-flight work finish: every deferred job begins now (no Slack request will come
        for it to give way to), and the jobs, with the loops ``alongside`` (told to stop),
        get ``seconds`` in all; jobs spawned meanwhile too. What is still running then is
        cancelled; returns how many jobs were (their submissions stay unfinished in the
        database, resumed at the next start)."""
        for deferred_at, begin in self._lane.withdraw():
            begin(deferred_at)
        log.info("finishing in-flight work", extra={"tasks": len(self._tasks)})
        deadline = asyncio.get_running_loop().time() + seconds
        loops = set(alongside)
        pending = loops | self._tasks
        while pending and (left := deadline - asyncio.get_running_loop().time()) > 0:
            await asyncio.wait(pending, timeout=left)
            pending = {task for task in loops | self._tasks if not task.done()}
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        parked = len(pending - loops)
        if parked:
            log.warning("parked unfinished work for the next start", extra={"tasks": parked})
        return parked

    async def close(self) -> None:
        """No more jobs: the deferred ones not begun are dropped (the store has their work),
        and the running ones cancelled, with a moment to unwind."""
        self._closed = True
        self._lane.withdraw()
        for work in self._waiting.values():
            work.close()
        self._waiting.clear()
        running = list(self._tasks)
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=CLOSE_SECONDS)

    def _start(self, work: Work) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            self._handler(exc)

    @staticmethod
    async def _run(
        work: Work, failed: Failed | None, slot: AbstractAsyncContextManager[None] | None
    ) -> None:
        try:
            if slot is None:
                await work
            else:
                async with slot:
                    await work
        except Exception as exc:
            if failed is None:
                raise
            await failed(exc)
