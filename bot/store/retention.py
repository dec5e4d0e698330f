"""What the bot keeps about people, and for how long: ``forget_user`` (``ticketbot links forget``)
and ``prune`` (the ``retention_days`` setting, in ``Store.prune``: the heartbeat's pass, once an
hour across replicas).

Kept while it is needed, then dropped or emptied:
- a filed submission's draft (the words typed into the modal): emptied; the ticket has them;
- a submission given up on or failed (its draft kept for *Edit & retry*): deleted;
- a sent provider comment's body: emptied (its key stays, so it is never sent twice);
- the requester ids in the link audit (who was linked to whom): emptied; who changed what
  link when stays.
Work in flight (pending, filing, retrying, unsure) and open tickets are never touched: a
forget leaves them, and says how many, until they are finished.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.records import CommentState, SubmissionState
from bot.store.database import Repository

S = SubmissionState
FORGOTTEN = "forgotten"  # stands in for a forgotten user's id on a closed ticket
UNFINISHED = (S.PENDING, S.FILING, S.RETRYING, S.UNSURE)
DROPPED = (S.GAVE_UP, S.FAILED)


@dataclass(frozen=True)
class Forgotten:
    """What ``forget_user`` removed, and what it left because it is still in use."""

    links: int
    audit_rows: int
    drafts: int
    tickets: int
    left_unfinished: int
    left_open_tickets: int


@dataclass(frozen=True)
class Pruned:
    """What one pruning pass dropped or emptied: what ``retention_days`` no longer keeps, and
    the records kept for a fixed time (seen events, once-marks, modals, heartbeats;
    ``Store.prune``)."""

    drafts: int
    dropped: int
    comments: int
    audit_rows: int
    events: int = 0
    marks: int = 0
    modals: int = 0
    replicas: int = 0


class RetentionQueries(Repository):
    async def forget_user(self, team_id: str, user_id: str) -> Forgotten:
        """Everything kept about one Slack user that the bot does not need to finish work,
        in one transaction; the forget itself is not audited under their id."""
        user = (team_id, user_id)
        async with self._transaction() as db:

            async def count(sql: str, params: tuple[object, ...] = user) -> int:
                row = (await db.rows(sql, params))[0]
                return int(row[0])

            async def each(sql: str, params: tuple[object, ...] = user) -> int:
                rows = await db.rows(sql + " RETURNING 1", params)
                return len(rows)

            links = await each(
                "DELETE FROM requester_links WHERE team_id = ? AND slack_user_id = ?"
            )
            audit = await each("DELETE FROM link_audit WHERE team_id = ? AND slack_user_id = ?")
            await db.execute("DELETE FROM modals WHERE team_id = ? AND user_id = ?", user)
            await db.execute("DELETE FROM home_views WHERE team_id = ? AND user_id = ?", user)
            drafts = await each(
                "DELETE FROM submissions WHERE team_id = ? AND user_id = ? AND state IN (?, ?)",
                (*user, *DROPPED),
            )
            drafts += await each(
                "UPDATE submissions SET draft = '', user_id = ?"
                " WHERE team_id = ? AND user_id = ? AND state = ?",
                (FORGOTTEN, *user, S.FILED),
            )
            tickets = await each(
                "UPDATE tickets SET filed_by = ? WHERE team_id = ? AND filed_by = ? AND closed = 1",
                (FORGOTTEN, *user),
            )
            unfinished = await count(
                "SELECT COUNT(*) FROM submissions"
                " WHERE team_id = ? AND user_id = ? AND state IN (?, ?, ?, ?)",
                (*user, *UNFINISHED),
            )
            still_open = await count(
                "SELECT COUNT(*) FROM tickets WHERE team_id = ? AND filed_by = ? AND closed = 0"
            )
        return Forgotten(links, audit, drafts, tickets, unfinished, still_open)

    async def teams_knowing(self, user_id: str) -> list[str]:
        """The workspaces in which the bot keeps anything about ``user_id``."""
        rows = await self._rows(
            "SELECT team_id FROM requester_links WHERE slack_user_id = ?"
            " UNION SELECT team_id FROM link_audit WHERE slack_user_id = ?"
            " UNION SELECT team_id FROM submissions WHERE user_id = ?"
            " UNION SELECT team_id FROM tickets WHERE filed_by = ?"
            " UNION SELECT team_id FROM home_views WHERE user_id = ?",
            (user_id,) * 5,
        )
        return sorted(row[0] for row in rows)

    async def prune(self, older_than: float) -> Pruned:
        """Drop or empty what ``retention_days`` no longer keeps (``older_than``: a time)."""
        drafts = await self._write1(
            "UPDATE submissions SET draft = '' WHERE state = ? AND updated_at < ? AND draft <> ''"
            " RETURNING 1",
            (S.FILED, older_than),
        )
        dropped = await self._write1(
            "DELETE FROM submissions WHERE state IN (?, ?) AND updated_at < ? RETURNING 1",
            (*DROPPED, older_than),
        )
        comments = await self._write1(
            "UPDATE comments SET body = '' WHERE state = ? AND created_at < ? AND body <> ''"
            " RETURNING 1",
            (CommentState.SENT, older_than),
        )
        audit = await self._write1(
            "UPDATE link_audit SET old_requester = NULL, new_requester = NULL WHERE at < ?"
            " AND (old_requester IS NOT NULL OR new_requester IS NOT NULL) RETURNING 1",
            (older_than,),
        )
        return Pruned(len(drafts), len(dropped), len(comments), len(audit))
