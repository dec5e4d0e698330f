"""The background lane: work after the ack takes turns, so Slack's next request never queues
behind more than a few background jobs.

Every listener acks first and hands the rest (opening a modal, filing a ticket, copying a
reply) to a job. The event loop runs whatever is ready in turn, so a thousand jobs computing at
once would make each new request wait behind all of them. A job therefore computes only while
it holds one of the lane's few slots, and gives its slot back while it waits on a provider
(``waiting``): seconds of I/O cost no CPU, and a slow provider must not stall the lane.

A job back from such a wait carries on at once, taking a free slot if there is one and running
over the limit if not: it never queues again, so a job can never wait for a slot that another
job, itself waiting on the first, holds.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class _Turn:
    lane: Lane
    holding: bool = True
    over: bool = False  # the job ended; tasks it spawned must not take a slot for it


_turn: ContextVar[_Turn | None] = ContextVar("lane_turn", default=None)


class Lane:
    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.taken = 0
        self._queue: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a slot for the block; waits (first come, first served) while all are taken."""
        await self._acquire()
        turn = _Turn(self)
        token = _turn.set(turn)
        try:
            yield
        finally:
            _turn.reset(token)
            turn.over = True
            if turn.holding:
                self._release()

    @property
    def queued(self) -> int:
        """Jobs waiting for a slot."""
        return len(self._queue)

    async def _acquire(self) -> None:
        if self._free():
            self.taken += 1
            return
        ticket = asyncio.get_running_loop().create_future()
        self._queue.append(ticket)
        try:
            await ticket  # NOTE: whoever hands the slot over counts it as taken for us
        except asyncio.CancelledError:
            if ticket.done() and not ticket.cancelled():
                self._release()  # handed over just as we were cancelled: pass it on
            elif ticket in self._queue:
                self._queue.remove(ticket)
            raise

    def _release(self) -> None:
        self.taken -= 1
        while self._queue and self.taken < self.slots:
            ticket = self._queue.popleft()
            if not ticket.done():
                self.taken += 1
                ticket.set_result(None)

    def _free(self) -> bool:
        return self.taken < self.slots and not self._queue

    def _give_back(self, turn: _Turn) -> None:
        if turn.holding:
            turn.holding = False
            self._release()

    def _take_if_free(self, turn: _Turn) -> None:
        if not turn.over and not turn.holding and self._free():
            self.taken += 1
            turn.holding = True


@asynccontextmanager
async def waiting() -> AsyncIterator[None]:
    """Give the current job's slot back while the block awaits I/O; a no-op outside a job."""
    turn = _turn.get()
    if turn is None:
        yield
        return
    turn.lane._give_back(turn)
    try:
        yield
    finally:
        turn.lane._take_if_free(turn)
