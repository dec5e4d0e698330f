"""How fast this process starts one provider's status reads, and how many it has out at once.

A backlog (tickets never read, a hold just over, an outage) drains at ``PACE`` times the
provider's even rate (its open tickets over its interval), never all at once: ``Pace`` is a
token bucket holding at most a second's worth (and never fewer than the reads allowed out at
once, so a few tickets due together go together); it starts with only the latter. A read
claimed waits its turn for one of the provider's ``at_once`` slots (half its
``max_connections``); a little more than a pass's worth is claimed ahead, so a slot freed
mid-pass is taken at once and claims are not held long.
"""

from __future__ import annotations

import asyncio

from bot.domain.polls import ProviderPolls

PACE = 1.5  # a backlog drains at this many times a provider's even rate, per replica
AHEAD_SECONDS = 0.5  # reads claimed beyond those out: this long's worth at the pace


class Pace:
    """A token bucket refilled at ``PACE`` times the provider's even rate."""

    def __init__(self, now: float) -> None:
        self._tokens = 0.0
        self._at = now
        self._fresh = True
        self.rate = 0.0  # reads per second, as of the last ``allowance``

    def allowance(self, now: float, polls: ProviderPolls, interval: float, at_once: int) -> int:
        self.rate = PACE * polls.open / interval
        burst = max(float(at_once), self.rate)
        if self._fresh:  # NOTE: a start (every ticket due at once) begins with no burst
            self._tokens, self._fresh = float(at_once), False
        self._tokens = min(burst, self._tokens + max(0.0, now - self._at) * self.rate)
        self._at = now
        return int(self._tokens)

    def spend(self, count: int) -> None:
        self._tokens -= count


class ProviderReads:
    """One provider's reads in this process: claimed (waiting or out), and its slots."""

    def __init__(self, now: float, at_once: int, paced: bool = True) -> None:
        self.pace = Pace(now) if paced else None
        self.at_once = at_once
        self.slots = asyncio.Semaphore(at_once)
        self.tasks: set[asyncio.Task[None]] = set()
        self.held_until = 0.0  # the provider answered 429: no read starts before then

    def hold(self, until: float | None) -> None:
        if until is not None:
            self.held_until = max(self.held_until, until)

    def room(self, now: float, polls: ProviderPolls, interval: float) -> int:
        """How many more of its due tickets to claim now."""
        if self.pace is None:
            return self.at_once - len(self.tasks)
        allowed = self.pace.allowance(now, polls, interval, self.at_once)
        ahead = self.at_once + int(self.pace.rate * AHEAD_SECONDS)
        return min(allowed, ahead - len(self.tasks))

    def claimed(self, count: int) -> None:
        if self.pace is not None:
            self.pace.spend(count)
