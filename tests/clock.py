"""A clock the test moves by hand, so no outcome depends on how fast this machine is."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field


async def settle(turns: int = 50) -> None:
    """Let every task that can run, run (no time passes)."""
    for _ in range(turns):
        await asyncio.sleep(0)


@dataclass
class _Timer:
    clock: ManualClock
    key: int

    def cancel(self) -> None:
        self.clock.cancelled.add(self.key)


@dataclass
class ManualClock:
    now: float = 1000.0
    timers: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    cancelled: set[int] = field(default_factory=set)
    _keys: itertools.count[int] = field(default_factory=itertools.count)

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        key = next(self._keys)
        heapq.heappush(self.timers, (self.now + delay, key, callback))
        return _Timer(self, key)

    async def advance(self, seconds: float) -> None:
        """Move time on by ``seconds``, running each timer when its moment comes and letting
        the tasks it wakes run before the next."""
        until = self.now + seconds
        await settle()
        while self.timers and self.timers[0][0] <= until:
            at, key, callback = heapq.heappop(self.timers)
            if key in self.cancelled:
                continue
            self.now = max(self.now, at)
            callback()
            await settle()
        self.now = until
        await settle()
