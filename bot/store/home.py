"""What the App Home shows: a user's open tickets, the providers' health, what needs an admin."""

from __future__ import annotations

from bot.domain.home import ProviderTrouble
from bot.domain.records import Submission, SubmissionState, TicketRecord
from bot.store.database import Repository
from bot.store.submissions import _submission
from bot.store.tickets import _ticket

S = SubmissionState


class HomeQueries(Repository):
    async def open_tickets_of(
        self, team_id: str, user_id: str, limit: int = 20
    ) -> list[TicketRecord]:
        """The user's tickets the provider has not closed, newest first."""
        rows = await self._rows(
            "SELECT * FROM tickets WHERE team_id = ? AND filed_by = ? AND closed_at IS NULL"
            " ORDER BY id DESC LIMIT ?",
            (team_id, user_id, limit),
        )
        return [_ticket(row) for row in rows]

    async def being_checked_of(
        self, team_id: str, user_id: str, limit: int = 10
    ) -> list[Submission]:
        """The user's submissions whose create went out unanswered and that wait for a look at
        the provider's list before they are filed again, newest first."""
        rows = await self._rows(
            "SELECT * FROM submissions WHERE team_id = ? AND user_id = ? AND check_twin = 1"
            " AND state IN (?, ?) ORDER BY id DESC LIMIT ?",
            (team_id, user_id, S.RETRYING, S.FILING, limit),
        )
        return [_submission(row) for row in rows]

    async def home_opened(self, team_id: str, user_id: str, now: float) -> None:
        await self._write1(
            "INSERT INTO home_views (team_id, user_id, opened_at) VALUES (?, ?, ?)"
            " ON CONFLICT (team_id, user_id) DO UPDATE SET opened_at = excluded.opened_at",
            (team_id, user_id, now),
        )

    async def has_home(self, team_id: str, user_id: str) -> bool:
        """Whether the user has opened the App Home (so it is worth refreshing)."""
        row = await self._row(
            "SELECT 1 FROM home_views WHERE team_id = ? AND user_id = ?", (team_id, user_id)
        )
        return row is not None

    async def provider_trouble(self, team_id: str) -> dict[str, ProviderTrouble]:
        """Per provider, in workspace ``team_id``: submissions retrying, and the latest error
        of one not filed yet."""
        found: dict[str, ProviderTrouble] = {}
        for row in await self._rows(
            "SELECT provider, COUNT(*) AS n, SUM(check_twin) AS checking FROM submissions"
            " WHERE team_id = ? AND state = ? GROUP BY provider",
            (team_id, S.RETRYING),
        ):
            found[row["provider"]] = ProviderTrouble(
                retrying=int(row["n"]), checking=int(row["checking"] or 0)
            )
        for row in await self._rows(
            "SELECT provider, last_error, updated_at FROM submissions WHERE team_id = ?"
            " AND state IN (?, ?, ?, ?) AND last_error IS NOT NULL"
            " ORDER BY updated_at DESC LIMIT 200",
            (team_id, S.RETRYING, S.GAVE_UP, S.UNSURE, S.FAILED),
        ):
            known = found.get(row["provider"], ProviderTrouble())
            if known.last_error is None:
                found[row["provider"]] = ProviderTrouble(
                    known.retrying, str(row["last_error"]), float(row["updated_at"]), known.checking
                )
        return found

    async def needs_attention(self, team_id: str, limit: int = 10) -> list[Submission]:
        """Submissions given up on or unsure, newest first: a person must decide."""
        rows = await self._rows(
            "SELECT * FROM submissions WHERE team_id = ? AND state IN (?, ?)"
            " ORDER BY updated_at DESC LIMIT ?",
            (team_id, S.GAVE_UP, S.UNSURE, limit),
        )
        return [_submission(row) for row in rows]
