"""What the database holds for providers the configuration no longer has (a table removed or
renamed): said at start, and held (not failed, not closed) until the table is back."""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.records import SubmissionState
from bot.store.database import Repository

S = SubmissionState


class OrphanQueries(Repository):
    async def unconfigured(self, known: Collection[str]) -> dict[str, tuple[int, int]]:
        """Per provider not in ``known``: its open tickets and its unfinished submissions."""
        found: dict[str, list[int]] = {}
        tickets = await self._rows(
            "SELECT provider, COUNT(*) FROM tickets WHERE closed = 0 GROUP BY provider"
        )
        queued = await self._rows(
            "SELECT provider, COUNT(*) FROM submissions WHERE state IN (?, ?, ?, ?)"
            " GROUP BY provider",
            (S.PENDING, S.FILING, S.RETRYING, S.UNSURE),
        )
        for column, rows in enumerate((tickets, queued)):
            for provider, count in rows:
                if provider not in known:
                    found.setdefault(provider, [0, 0])[column] = int(count)
        return {name: (counts[0], counts[1]) for name, counts in sorted(found.items())}
