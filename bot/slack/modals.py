"""Every modal the bot shows goes through here: sealed for its opener, and remembered.

A modal's ``private_metadata`` is sealed (``bot.slack.seal``) for the user who opened it, and the
view id is recorded with that user (per process, and in the store for other replicas and
restarts). A submit or an action is trusted only for a view the bot opened, from the user who
opened it, with metadata the bot sealed; the error handler updates only such views.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import Any, Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.drafts import ModalContext
from bot.domain.errors import UserFixable
from bot.slack.seal import Seal

# view ids kept in memory (a form is submitted minutes after it opened); older ones are read
# from the store
REMEMBERED = 2_000


class ForeignModal(UserFixable):
    """A submit or action for a view the bot did not open for this user, or whose metadata
    the bot did not seal."""

    def __init__(self) -> None:
        super().__init__(
            "This form could not be verified: it was not opened for you by ticketbot, or it "
            "is too old. Close it and run /ticket again."
        )


class OpenedModals(Protocol):
    """Where the views the bot opened are remembered for other replicas and restarts (the
    store's modals table)."""

    async def remember_modal(self, view_id: str, *, team_id: str, user_id: str) -> None: ...

    async def modal_opener(self, view_id: str) -> str | None: ...


class Modals:
    def __init__(self, seal: Seal, opened: OpenedModals) -> None:
        self._seal = seal
        self._opened = opened
        self._openers: OrderedDict[str, str] = OrderedDict()

    def sealed(self, view: dict[str, Any], opener: str) -> dict[str, Any]:
        """``view`` with its metadata sealed for ``opener`` (for an ack's ``update``, too)."""
        metadata = self._seal.seal(str(view.get("private_metadata") or ""), _purpose(opener))
        return {**view, "private_metadata": metadata}

    async def open(
        self,
        client: AsyncWebClient,
        *,
        trigger_id: str,
        view: dict[str, Any],
        team_id: str,
        opener: str,
    ) -> str:
        response = await client.views_open(trigger_id=trigger_id, view=self.sealed(view, opener))
        view_id = str(response["view"]["id"])
        self._remember(view_id, opener)
        await self._opened.remember_modal(view_id, team_id=team_id, user_id=opener)
        return view_id

    async def update(
        self, client: AsyncWebClient, *, view_id: str, view: dict[str, Any], opener: str
    ) -> str:
        response = await client.views_update(view_id=view_id, view=self.sealed(view, opener))
        return str(response["view"]["id"])

    async def opener(self, view_id: str | None) -> str | None:
        """Who opened ``view_id``, if the bot opened it."""
        if not view_id:
            return None
        if (user := self._openers.get(view_id)) is not None:
            return user
        user = await self._opened.modal_opener(view_id)
        if user is not None:
            self._remember(view_id, user)
        return user

    async def metadata(self, view: Any, user_id: str) -> str:
        """The metadata of a view ``user_id`` submitted or acted in; ``ForeignModal`` unless
        the bot opened it for them and sealed it."""
        if not isinstance(view, dict) or not user_id:
            raise ForeignModal
        if await self.opener(view.get("id")) != user_id:
            raise ForeignModal
        text = self._seal.open(view.get("private_metadata"), _purpose(user_id))
        if text is None:
            raise ForeignModal
        return text

    async def context(self, view: Any, user_id: str) -> ModalContext:
        """``metadata``, read as the ticket modal's context."""
        return ModalContext.load(await self.metadata(view, user_id))

    def _remember(self, view_id: str, user_id: str) -> None:
        self._openers[view_id] = sys.intern(user_id)  # NOTE: one string per person, not per form
        if len(self._openers) > REMEMBERED:
            self._openers.popitem(last=False)


def _purpose(opener: str) -> str:
    return f"modal:{opener}"
