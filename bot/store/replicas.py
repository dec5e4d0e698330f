"""The processes sharing the database.

Each process writes a heartbeat (``heartbeat``); what it holds (a submission it is filing) is
taken over by the others once its heartbeat is older than ``dead_after`` (see
``SubmissionQueries.resume_interrupted``). What must happen once across all of them is
``bot.store.marks``.
"""

from __future__ import annotations

import time

from bot.store.database import Repository

REPLICAS_KEPT = 86_400.0  # heartbeats older than a day are dropped


class ReplicaQueries(Repository):
    async def heartbeat(self) -> None:
        await self._write1(
            "INSERT INTO replicas (id, seen_at) VALUES (?, ?)"
            " ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
            (self._db.replica_id, time.time()),
        )

    async def leave(self) -> None:
        """This process stops cleanly: its heartbeat goes, so it is not counted as stale."""
        await self._write1("DELETE FROM replicas WHERE id = ?", (self._db.replica_id,))

    async def replica_counts(self, dead_after: float) -> tuple[int, int]:
        """Processes whose heartbeat is fresh, and those seen in the last hour whose heartbeat
        is older than ``dead_after`` (stopped, or stuck)."""
        now = time.time()
        row = await self._row(
            "SELECT COUNT(CASE WHEN seen_at >= ? THEN 1 END),"
            " COUNT(CASE WHEN seen_at < ? AND seen_at >= ? THEN 1 END) FROM replicas",
            (now - dead_after, now - dead_after, now - 3600),
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def prune(self) -> int:
        """Drop the heartbeats older than ``REPLICAS_KEPT`` (the heartbeat's pass); how many."""
        rows = await self._write1(
            "DELETE FROM replicas WHERE seen_at < ? RETURNING 1", (time.time() - REPLICAS_KEPT,)
        )
        return len(rows)
