"""One budget before every ack: 2.5 s from the request's receipt, which every wait before the
ack draws from (user-group reads, the store, a form looked up again), not a bound per step.

Slack gives an ack 3 s; the half second left covers the way back. The receipt time rides in
bolt's context (``RECEIVED``): the HTTP server stamps it as the request arrives, and a
middleware stamps what arrives another way (Socket Mode). What does not fit is finished after
the ack (the submit listener updates the modal with ``views.update``); nothing acks late.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

ACK_BUDGET_SECONDS = 2.5
RECEIVED = "received_at"  # time.monotonic() when the request arrived
# the body's size in bytes, stamped beside RECEIVED by the HTTP server: it bounds what reading
# the request can cost (absent in Socket Mode: unknown)
BODY_BYTES = "body_bytes"


def stamp(context: MutableMapping[str, Any], at: float | None = None) -> None:
    """Record when the request arrived (kept if already stamped)."""
    context.setdefault(RECEIVED, time.monotonic() if at is None else at)


def ack_deadline(context: MutableMapping[str, Any]) -> float:
    """The ``time.monotonic()`` by which the request must be acked."""
    received = context.get(RECEIVED)
    start = float(received) if isinstance(received, float | int) else time.monotonic()
    return start + ACK_BUDGET_SECONDS


def left(deadline: float) -> float:
    """Seconds left before ``deadline`` (never negative)."""
    return max(0.0, deadline - time.monotonic())


async def stamp_receipt(context: Any, next: Callable[[], Awaitable[Any]]) -> Any:
    """A bolt middleware: stamp requests the HTTP server did not (Socket Mode)."""
    stamp(context)
    return await next()
