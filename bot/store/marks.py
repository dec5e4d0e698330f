"""Marks: what must happen once across every process sharing the database.

``once`` is a mark several processes may race for: exactly one wins it per ``every`` seconds
(an admin alert, a notice, a workflow step's run); marks are kept ``MARKS_KEPT``.
``remember_event`` is true the first time an event is seen (Slack's re-deliveries, a reaction
added again).
"""

from __future__ import annotations

import time

from bot.store.database import Repository

EVENTS_KEPT = 86_400.0  # seconds an event is remembered (Slack retries within minutes)
# NOTE: seconds a mark is kept: longer than any ``every`` (a day at most), and than any re-run of
# a workflow step Slack could deliver again (its run times out within hours)
MARKS_KEPT = 30 * 86_400.0


class MarkQueries(Repository):
    async def once(self, mark: str, every: float | None = None) -> bool:
        """True for exactly one caller, across every process, per ``every`` seconds (None:
        for as long as marks are kept, ``MARKS_KEPT``)."""
        if every is not None and every > MARKS_KEPT:
            raise ValueError(f"a mark is kept {MARKS_KEPT:.0f} s, not every {every:.0f} s")
        now = time.time()
        rows = await self._write1(
            "INSERT INTO once_marks (mark, at) VALUES (?, ?) ON CONFLICT (mark) DO UPDATE"
            " SET at = excluded.at WHERE once_marks.at < ? RETURNING mark",
            (mark, now, now - every if every is not None else -1.0),
        )
        return bool(rows)

    async def remember_event(self, event_id: str) -> bool:
        """True the first time ``event_id`` is seen (Slack re-delivers events it thinks lost).

        Entries older than ``EVENTS_KEPT`` are dropped by ``prune``.
        """
        rows = await self._write1(
            "INSERT INTO seen_events (event_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING"
            " RETURNING event_id",
            (event_id, time.time()),
        )
        return bool(rows)

    async def prune_events(self) -> int:
        """Forget the events seen more than ``EVENTS_KEPT`` ago (the heartbeat's pass); how
        many."""
        rows = await self._write1(
            "DELETE FROM seen_events WHERE at < ? RETURNING 1", (time.time() - EVENTS_KEPT,)
        )
        return len(rows)

    async def prune_marks(self) -> int:
        """Forget the marks won more than ``MARKS_KEPT`` ago (one a workflow step run, so they
        would grow with every run); how many."""
        rows = await self._write1(
            "DELETE FROM once_marks WHERE at < ? RETURNING 1", (time.time() - MARKS_KEPT,)
        )
        return len(rows)
