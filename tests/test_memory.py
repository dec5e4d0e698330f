"""Freed memory goes back to the system (bot/memory.py) where the C library allows it."""

from __future__ import annotations

import asyncio
import platform

import pytest

from bot.memory import give_back_memory, heap_trimmer


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
async def test_glibcs_heap_is_trimmed_in_a_worker_thread_while_the_loop_runs() -> None:
    trim = heap_trimmer()
    assert trim is not None
    assert trim() in (0, 1)  # 1: memory was released, 0: there was none to release
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticking = asyncio.create_task(tick())
    trimming = asyncio.create_task(give_back_memory(every=0.005))
    await asyncio.sleep(0.1)
    assert not trimming.done() and ticks > 10  # trims go on, and so does the loop
    for task in (trimming, ticking):
        task.cancel()
    await asyncio.gather(trimming, ticking, return_exceptions=True)
