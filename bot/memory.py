"""Freed memory handed back to the system, where the C library keeps it otherwise.

glibc's allocator keeps what the process freed in its heap for reuse, and hands back only a
free stretch at the very top. A long-running bot frees request bodies, JSON and views of every
size between longer-lived objects, so the heap's free space grows for hours while what is in
use stays flat, and the resident size with it (docs/benchmark.md, the soak). ``malloc_trim(0)``
gives every free page back. Elsewhere (musl, macOS) there is nothing to call, and nothing is
done.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)
TRIM_EVERY_SECONDS = 60.0


def heap_trimmer() -> Callable[[], object] | None:
    """glibc's ``malloc_trim``, as a function of no arguments; None without glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


async def give_back_memory(every: float = TRIM_EVERY_SECONDS) -> None:
    """Trim the heap every ``every`` seconds, in a worker thread (ctypes lets go of the GIL,
    so the event loop runs on meanwhile); returns at once where there is nothing to trim."""
    trim = heap_trimmer()
    if trim is None:
        log.debug("no malloc_trim in this C library: freed memory stays with the allocator")
        return
    while True:
        await asyncio.sleep(every)
        await asyncio.to_thread(trim)
