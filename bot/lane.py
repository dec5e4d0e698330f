"""The background lane: work after the ack takes turns, so Slack's next request never queues
behind more than a few background jobs.

Every listener acks first and hands the rest (opening a modal, filing a ticket, copying a
reply) to a job. The event loop runs whatever is ready in turn, so a thousand jobs computing at
once would make each new request wait behind all of them. A job therefore computes only while
it holds one of the lane's few slots, and gives its slot back while it waits on a provider
(``waiting``; ``GivingWayTransport`` does it for every provider request): seconds of I/O
cost no CPU, and a slow provider must not stall the lane.

A job back from such a wait carries on at once, taking a free slot if there is one and running
over the limit if not: it never queues again, so a job can never wait for a slot that another
job, itself waiting on the first, holds.

Some jobs nobody watches in real time (filing a persisted submission, a retry, copying a
reply) are *deferred*: while Slack requests are being answered (``answering``, and for a
moment after the last), they neither start nor come back from a wait; once Slack is quiet,
they go a batch at a time. A burst of submits is then acked at the speed of acks alone and its
tickets are filed right after it. Under load that never pauses, a job that has waited
``max_wait`` since it was deferred goes anyway, its steps one every ``trickle`` seconds in the
order they came, so filing slows but never stops. A deferred job holds no slot while it waits
its turn, so it never blocks a modal job; one that has not begun (``defer``) is only a queue
entry, not yet a task, so a burst of submits costs its acks nothing more.

A modal's job is what a person is staring at: it starts at once, with no wait for a lull and
no wait for a slot, even when every slot is taken (``slot(first=True)``): it counts as taken,
so the jobs queued for a slot wait until the modal jobs are done. Filing and polls give way.

Time comes from a ``Clock`` (the event loop's by default), so tests can drive it by hand.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

import httpx

from bot.safe_http import cap_of, read_capped


@dataclass
class _Turn:
    lane: Lane
    holding: bool = True
    over: bool = False  # the job ended; tasks it spawned must not take a slot for it
    deferred: bool = False  # gives way to Slack requests being answered
    since: float = 0.0  # when a deferred job was deferred: its age, not its current step's


@dataclass(frozen=True)
class _Unstarted:
    """A deferred job not begun: ``start(since)`` begins it in its turn."""

    since: float
    start: Callable[[float], None]


@dataclass(frozen=True)
class _Resume:
    """A deferred job under way, waiting for its turn to go on (``waiting``)."""

    since: float
    turn: asyncio.Future[None]


_turn: ContextVar[_Turn | None] = ContextVar("lane_turn", default=None)


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """What the lane needs of time: now, and a callback later."""

    def time(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer: ...


class LoopClock:
    """The running event loop's clock."""

    def time(self) -> float:
        return asyncio.get_running_loop().time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return asyncio.get_running_loop().call_later(delay, callback)


TRICKLE_SECONDS = 0.01
MAX_WAIT_SECONDS = 1.0  # NOTE: a burst holds deferred work back this long at the most
QUIET_SECONDS = 0.02  # NOTE: acks often leave together (group commit): a gap is not a lull
QUIET_BATCH = 16  # deferred jobs let through per tick once quiet: a new request waits for few
SLICE_BYTES = 4096  # NOTE: deflate unpacks at most ~1,032 times its size


class Lane:
    def __init__(
        self,
        slots: int,
        trickle: float = TRICKLE_SECONDS,
        max_wait: float = MAX_WAIT_SECONDS,
        clock: Clock | None = None,
    ) -> None:
        self.slots = slots
        self.taken = 0
        self.answering_now = 0
        self._clock = clock or LoopClock()
        self._answered_at = -QUIET_SECONDS
        self._queue: deque[asyncio.Future[None]] = deque()
        self._deferred: deque[_Resume | _Unstarted] = deque()
        self._trickle = trickle
        self._max_wait = max_wait
        self._trickler: Timer | None = None

    def defer(self, start: Callable[[float], None]) -> None:
        """Begin a deferred job in its turn: now if Slack is quiet, else when the lane lets it
        through (see the module). ``start(deferred_at)`` begins it, and the job then holds
        ``slot(deferred=True, deferred_at=deferred_at)``. Who owns the job decides what becomes
        of one still waiting when the process stops (``withdraw``).

        NOTE: a listener defers while its own request is being answered: a lone request is no
        burst, so its job starts at once (a lone submit's card is not held back 20 ms).
        """
        if self._quiet(own=1) and not self._deferred:
            start(self.now())
            return
        self._deferred.append(_Unstarted(self.now(), start))
        self._keep_ticking()

    def now(self) -> float:
        """The lane's clock."""
        return self._clock.time()

    def withdraw(self) -> list[tuple[float, Callable[[float], None]]]:
        """Take back every deferred job not begun yet, in the order they came, as (deferred
        at, start): the process is stopping, and their owner begins or drops them
        (``bot.background.jobs``)."""
        unstarted = [job for job in self._deferred if isinstance(job, _Unstarted)]
        self._deferred = deque(job for job in self._deferred if isinstance(job, _Resume))
        return [(job.since, job.start) for job in unstarted]

    @asynccontextmanager
    async def slot(
        self, *, deferred: bool = False, deferred_at: float | None = None, first: bool = False
    ) -> AsyncIterator[None]:
        """Hold a slot for the block; waits (first come, first served) while all are taken.

        ``deferred``: the job gives way to Slack requests being answered (see the module);
        ``deferred_at``: it was let through already (``defer``), and its age counts from then.
        ``first``: a modal's job: it takes a slot at once, over the limit if need be.
        """
        since = self.now() if deferred_at is None else deferred_at
        if deferred and deferred_at is None:
            await self._give_way(since)
        await self._acquire(first=first)
        turn = _Turn(self, deferred=deferred, since=since)
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
        """Jobs waiting for a slot, or deferred while Slack requests are answered."""
        return len(self._queue) + len(self._deferred)

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around each Slack request: deferred jobs give way while any is being answered."""
        self.answering_now += 1
        try:
            yield
        finally:
            self.answering_now -= 1
            self._answered_at = self.now()

    def _quiet(self, own: int = 0) -> bool:
        """No Slack request is being answered (``own``: but the caller's) nor was just now."""
        return self.answering_now <= own and self.now() - self._answered_at >= QUIET_SECONDS

    async def _give_way(self, since: float) -> None:
        if self._quiet() and not self._deferred:
            return
        waiting = _Resume(since, asyncio.get_running_loop().create_future())
        self._deferred.append(waiting)
        self._keep_ticking()
        try:
            await waiting.turn
        except asyncio.CancelledError:
            if waiting in self._deferred:
                self._deferred.remove(waiting)
            raise

    def _keep_ticking(self) -> None:
        if self._trickler is None and self._deferred:
            self._trickler = self._clock.call_later(self._trickle, self._tick)

    def _tick(self) -> None:
        self._trickler = None
        quiet = self._quiet()
        if quiet:
            self._let_through(QUIET_BATCH)
        elif self._deferred and self.now() - self._deferred[0].since >= self._max_wait:
            self._let_through(1)
        self._keep_ticking()

    def _let_through(self, count: int) -> None:
        while count and self._deferred:
            job = self._deferred.popleft()
            if isinstance(job, _Unstarted):
                job.start(job.since)
                count -= 1
            elif not job.turn.done():
                job.turn.set_result(None)
                count -= 1

    async def _acquire(self, *, first: bool = False) -> None:
        if self._free() or first:
            # NOTE: a modal's job never queues, even with every slot taken: the person is
            # staring at the screen; the jobs it overtakes are ones nobody watches.
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
async def waiting(*, deferred_only: bool = False) -> AsyncIterator[None]:
    """Give the current job's slot back while the block awaits I/O; a no-op outside a job.

    A deferred job, back from the I/O, first gives way to Slack requests being answered.
    ``deferred_only``: a short wait (a Slack call) that other jobs sit out in their slot.
    """
    turn = _turn.get()
    if turn is None or (deferred_only and not turn.deferred):
        yield
        return
    turn.lane._give_back(turn)
    try:
        yield
        if turn.deferred and not turn.over:
            await turn.lane._give_way(turn.since)  # NOTE: holding no slot: modal jobs go first
    finally:
        turn.lane._take_if_free(turn)


class _Slices(httpx.AsyncByteStream):
    """A compressed body already read, handed on a slice at a time: the decoder downstream
    unpacks one slice at once (``SLICE_BYTES`` of gzip unpack to at most about 4 MB), so the
    reader's cap stops a small body that would unpack to gigabytes."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for at in range(0, len(self._body), SLICE_BYTES):
            yield self._body[at : at + SLICE_BYTES]


class GivingWayTransport(httpx.AsyncBaseTransport):
    """Wraps the provider HTTP transport: a job gives its lane slot back while its request is
    out, and a deferred job gives way to Slack requests when it comes back (``waiting``), so
    a provider's seconds hold up no other job. The scheduling policy lives here, where work
    meets the network, not in the provider layer. The body is read inside the wait, at most
    the request's ``MAX_BYTES`` (``bot.safe_http``): ``TooBig`` past them; a compressed one is
    handed on in slices, which the reader unpacks up to its own cap (``_Slices``)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with waiting():
            response = await self._inner.handle_async_request(request)
            try:
                body = await read_capped(response, cap_of(request), raw=True)
            finally:
                await response.aclose()
        encoded = "content-encoding" in response.headers
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Slices(body) if encoded else httpx.ByteStream(body),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()
