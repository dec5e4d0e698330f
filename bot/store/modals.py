"""The modals the bot opened, and who opened each: a submit for any other view is refused."""

from __future__ import annotations

import time

from bot.store.database import Repository

MODAL_DAYS = 7  # a modal left open longer than this must be opened again


class ModalQueries(Repository):
    async def remember_modal(self, view_id: str, *, team_id: str, user_id: str) -> None:
        now = time.time()
        # NOTE: on the loop's own connection: one per modal, and the trip to aiosqlite's
        # thread would cost the loop several times the statement (see ``_write1_here``).
        await self._write1_here(
            "INSERT INTO modals (view_id, team_id, user_id, opened_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (view_id) DO UPDATE SET team_id = excluded.team_id,"
            " user_id = excluded.user_id, opened_at = excluded.opened_at",
            (view_id, team_id, user_id, now),
        )

    async def modal_opener(self, view_id: str) -> str | None:
        """Who opened ``view_id``, if the bot opened it (within ``MODAL_DAYS``)."""
        row = await self._row(
            "SELECT user_id FROM modals WHERE view_id = ? AND opened_at >= ?",
            (view_id, time.time() - MODAL_DAYS * 86400),
        )
        return str(row[0]) if row else None

    async def prune(self) -> int:
        """Drop the modals opened more than ``MODAL_DAYS`` ago (the heartbeat's pass); how
        many."""
        rows = await self._write1(
            "DELETE FROM modals WHERE opened_at < ? RETURNING 1",
            (time.time() - MODAL_DAYS * 86400,),
        )
        return len(rows)
