"""When a followed ticket is read: at its own slots, one interval apart, so a provider's reads
spread evenly over its interval however the tickets were filed, and every replica agrees.

A ticket's slots are ``phase + k · interval``; its phase is the fractional part of its id times
the golden ratio (Fibonacci hashing), which spreads consecutive ids, and any stride of them,
evenly over the interval (the three-gap theorem): no thundering herd at an interval's edge.
"""

from __future__ import annotations

import math

GOLDEN = (math.sqrt(5) - 1) / 2


def phase(ticket_id: int) -> float:
    """Where in every interval the ticket's slot falls, as a fraction of it."""
    return (ticket_id * GOLDEN) % 1.0


def next_slot(ticket_id: int, interval: float, after: float) -> float:
    """The ticket's first slot later than ``after`` (epoch seconds)."""
    offset = phase(ticket_id) * interval
    return offset + (math.floor((after - offset) / interval) + 1) * interval
