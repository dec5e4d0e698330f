"""Requester links and their audit trail: every change records who, when, old → new."""

from __future__ import annotations

import time

from bot.domain.records import Link, LinkChange, LinkRow
from bot.store.database import Repository, Tx


class LinkQueries(Repository):
    async def requester_link(self, team_id: str, user_id: str, provider: str) -> str | None:
        row = await self._row(
            "SELECT requester_id FROM requester_links"
            " WHERE team_id = ? AND slack_user_id = ? AND provider = ?",
            (team_id, user_id, provider),
        )
        return str(row[0]) if row else None

    async def set_requester_link(
        self,
        *,
        team_id: str,
        user_id: str,
        provider: str,
        requester_id: str,
        source: str,
        created_by: str,
    ) -> str | None:
        """Create or replace a link, auditing the change; returns the id it replaced."""
        async with self._transaction() as db:
            return await self._set_link(
                db, team_id, LinkRow(user_id, provider, requester_id), source, created_by
            )

    async def import_links(
        self, *, team_id: str, rows: list[LinkRow], source: str, actor: str
    ) -> int:
        """Write all ``rows`` in one transaction (all or nothing); returns how many changed."""
        changed = 0
        async with self._transaction() as db:
            for row in rows:
                old = await self._set_link(db, row.team_id or team_id, row, source, actor)
                changed += old != row.requester_id
        return changed

    async def _set_link(
        self, db: Tx, team_id: str, row: LinkRow, source: str, actor: str
    ) -> str | None:
        found = await db.rows(
            "SELECT requester_id FROM requester_links"
            " WHERE team_id = ? AND slack_user_id = ? AND provider = ?",
            (team_id, row.user_id, row.provider),
        )
        old = next((str(r[0]) for r in found), None)
        if old == row.requester_id:
            return old
        now = time.time()
        await db.execute(
            "INSERT INTO requester_links (team_id, slack_user_id, provider, requester_id,"
            " source, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (team_id, slack_user_id, provider) DO UPDATE SET"
            " requester_id = excluded.requester_id, source = excluded.source,"
            " created_by = excluded.created_by, created_at = excluded.created_at",
            (team_id, row.user_id, row.provider, row.requester_id, source, actor, now),
        )
        await self._audit(
            db, team_id, row.user_id, row.provider, old, row.requester_id, source, actor, now
        )
        return old

    async def delete_links(
        self, *, team_id: str, user_id: str, provider: str | None, actor: str
    ) -> int:
        """Remove one provider's link, or (provider None) all of a user's links; audited."""
        now = time.time()
        async with self._transaction() as db:
            query = (
                "SELECT provider, requester_id FROM requester_links"
                " WHERE team_id = ? AND slack_user_id = ?"
            )
            args: tuple[str, ...] = (team_id, user_id)
            if provider is not None:
                query += " AND provider = ?"
                args += (provider,)
            rows = await db.rows(query, args)
            for name, old in rows:
                await db.execute(
                    "DELETE FROM requester_links"
                    " WHERE team_id = ? AND slack_user_id = ? AND provider = ?",
                    (team_id, user_id, name),
                )
                await self._audit(db, team_id, user_id, name, old, None, "unlink", actor, now)
        return len(rows)

    @staticmethod
    async def _audit(
        db: Tx,
        team_id: str,
        user_id: str,
        provider: str,
        old: str | None,
        new: str | None,
        source: str,
        actor: str,
        at: float,
    ) -> None:
        await db.execute(
            "INSERT INTO link_audit (team_id, slack_user_id, provider, old_requester,"
            " new_requester, source, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (team_id, user_id, provider, old, new, source, actor, at),
        )

    async def links(self, team_id: str | None, user_id: str | None = None) -> list[Link]:
        """Every link (of one workspace, of one user), ordered by user and provider."""
        query, args = "SELECT * FROM requester_links WHERE 1 = 1", []
        if team_id is not None:
            query += " AND team_id = ?"
            args.append(team_id)
        if user_id is not None:
            query += " AND slack_user_id = ?"
            args.append(user_id)
        rows = await self._rows(query + " ORDER BY slack_user_id, provider", args)
        return [
            Link(
                team_id=r["team_id"],
                user_id=r["slack_user_id"],
                provider=r["provider"],
                requester_id=r["requester_id"],
                source=r["source"],
                created_by=r["created_by"],
                created_at=r["created_at"],
            )
            for r in rows
        ]

    async def latest_link_change(
        self, team_id: str, user_id: str | None = None
    ) -> LinkChange | None:
        changes = await self.link_changes(team_id, user_id, limit=1)
        return changes[0] if changes else None

    async def link_changes(
        self, team_id: str, user_id: str | None = None, *, limit: int = 5
    ) -> list[LinkChange]:
        """The latest requester-link changes, newest first."""
        query, args = "SELECT * FROM link_audit WHERE team_id = ?", [team_id]
        if user_id is not None:
            query += " AND slack_user_id = ?"
            args.append(user_id)
        rows = await self._rows(query + " ORDER BY at DESC, id DESC LIMIT ?", [*args, limit])
        return [
            LinkChange(
                user_id=row["slack_user_id"],
                provider=row["provider"],
                old=row["old_requester"],
                new=row["new_requester"],
                source=row["source"],
                actor=row["actor"],
                at=row["at"],
            )
            for row in rows
        ]
