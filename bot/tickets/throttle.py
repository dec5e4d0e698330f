"""Bounds how many filings use the CPU at once, so acknowledging Slack never waits behind them.

A filing holds a slot while it works and gives it back while it waits on the provider (I/O
costs no CPU), so a slow provider does not cut throughput; it takes a slot again to finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

_holding: ContextVar[bool] = ContextVar("holding_filing_slot", default=False)


class Throttle:
    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a slot for the block (waits while all are taken)."""
        async with self._slots:
            token = _holding.set(True)
            try:
                yield
            finally:
                _holding.reset(token)

    @asynccontextmanager
    async def waiting(self) -> AsyncIterator[None]:
        """Give the slot back while awaiting I/O; a no-op outside ``slot()``."""
        if not _holding.get():
            yield
            return
        self._slots.release()
        try:
            yield
        finally:
            await self._slots.acquire()
