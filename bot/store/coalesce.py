"""Group commit: calls that arrive while a trip to the database thread is under way share the
next trip.

aiosqlite runs a connection's calls one after another in one thread, and each trip there and
back costs the event loop far more than the statement itself. Fifty submits at once would wait
for fifty trips in a row; coalesced, they wait for two.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_BATCH = 200  # NOTE: SQLite allows 32,766 bound parameters per statement


class Coalescer(Generic[T, R]):
    """``await coalescer(item)``: ``run`` gets every item waiting, in order, and answers each."""

    def __init__(self, run: Callable[[list[T]], Awaitable[list[R]]]) -> None:
        self._run = run
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._trip: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, answer))
        if self._trip is None:
            self._trip = asyncio.ensure_future(self._trips())
        return await answer

    async def _trips(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[:MAX_BATCH]
                del self._waiting[:MAX_BATCH]
                try:
                    results = await self._run([item for item, _ in batch])
                except BaseException as exc:
                    for _, answer in batch:
                        if not answer.done():
                            answer.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for (_, answer), result in zip(batch, results, strict=True):
                    if not answer.done():
                        answer.set_result(result)
        finally:
            self._trip = None
            for _, answer in self._waiting:  # only left over when cancelled (shutdown)
                answer.cancel()
            self._waiting.clear()
