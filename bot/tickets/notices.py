"""What the admin channel hears, and how seldom: a configuration problem once an hour per kind
however many users (and replicas) hit it, a provider's missing optional endpoint once a day
per feature. The once-marks are the store's, so every replica shares them."""

from __future__ import annotations

from bot.domain.errors import AdminFixable
from bot.store.marks import MarkQueries
from bot.tickets.outcomes import TellsAdmins

ADMIN_ALERT_EVERY = 3600.0
FEATURE_NOTICE_EVERY = 86_400.0


class AdminNotices:
    """``admins`` is None without an admin channel: nothing is told, no mark is taken."""

    def __init__(self, marks: MarkQueries, admins: TellsAdmins | None) -> None:
        self._marks = marks
        self._admins = admins

    async def needs_admin(self, error: AdminFixable, ref: str) -> None:
        """A configuration problem, once an hour per kind of problem."""
        mark = f"admin-alert:{type(error).__name__}:{error.message}"
        if self._admins is None or not await self._marks.once(mark, every=ADMIN_ALERT_EVERY):
            return
        await self._admins.needs_admin(error, ref)

    async def feature_off(self, title: str, feature: str, why: str) -> None:
        """A provider lacks an optional endpoint: once per feature, when it is found out (the
        adapter remembers it)."""
        mark = f"feature-off:{title}:{feature}"
        if self._admins is None or not await self._marks.once(mark, every=FEATURE_NOTICE_EVERY):
            return  # NOTE: once per feature across replicas (and restarts, within a day)
        await self._admins.feature_off(title, feature, why)
