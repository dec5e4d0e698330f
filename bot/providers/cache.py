"""A tiny TTL cache for provider look-ups (departments, subjects), safe against stampedes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Cached(Generic[T]):
    """Holds one looked-up value for ``ttl`` seconds; concurrent misses share one load."""

    def __init__(self, load: Callable[[], Awaitable[T]], ttl: float) -> None:
        self._load = load
        self._ttl = ttl
        self._value: T | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    def peek(self) -> T | None:
        """The value if it is fresh, without loading."""
        if self._value is not None and time.monotonic() < self._expires:
            return self._value
        return None

    @property
    def stale(self) -> T | None:
        """The last value loaded, however old: good enough to render or parse a form."""
        return self._value

    async def get(self) -> T:
        fresh = self.peek()
        if fresh is not None:
            return fresh
        async with self._lock:
            fresh = self.peek()
            if fresh is not None:
                return fresh
            value = await self._load()
            self._value, self._expires = value, time.monotonic() + self._ttl
            return value
