"""Edits of messages the bot keeps up to date (an alert's *fired again* note, a ticket card),
coalesced and paced: in an alert storm one note may change many times a second, and
``chat.update`` is Tier 3, 50+ a minute per workspace (https://api.slack.com/apis/rate-limits).

Each message's latest edit wins; edits wait their turn oldest first (urgent ones, such as a
card saying its alert resolved, ahead of the rest) and leave at most ``per_minute`` in any
60 s. An edit Slack refuses (the message was deleted) runs the caller's ``if_gone`` instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
TIER3_PER_MINUTE = 45  # NOTE: Slack's Tier 3 is "50+ per minute"; kept under, with headroom
Key = tuple[str, str]  # (channel, ts) of the message edited


@dataclass
class _Edit:
    fields: dict[str, Any]
    if_gone: Callable[[], Awaitable[None]] | None
    order: float


class PacedEdits:
    def __init__(
        self,
        slack: AsyncWebClient,
        spawn: Callable[[Coroutine[Any, Any, Any]], None],
        *,
        per_minute: int = TIER3_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._slack = slack
        self._spawn = spawn
        self._per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._urgent: dict[Key, _Edit] = {}
        self._waiting: dict[Key, _Edit] = {}
        self._sent: deque[float] = deque()
        self._flushing = False

    @property
    def pending(self) -> int:
        return len(self._urgent) + len(self._waiting)

    def edit(
        self,
        channel: str,
        ts: str,
        *,
        urgent: bool = False,
        if_gone: Callable[[], Awaitable[None]] | None = None,
        order: float = 0.0,
        **fields: Any,
    ) -> None:
        """Edit the message at ``ts`` to ``fields`` (text, blocks) when its turn comes; an
        edit of the same message still waiting is replaced (keeping its place in line),
        unless its ``order`` is higher (jobs finish out of order: a note's 5th firing must
        not be replaced by its 4th)."""
        key = (channel, ts)
        waiting = self._urgent.get(key) or self._waiting.get(key)
        if waiting is not None and waiting.order > order:
            return
        if urgent:
            self._waiting.pop(key, None)
        queue = self._urgent if urgent or key in self._urgent else self._waiting
        queue[key] = _Edit(fields, if_gone, order)
        if not self._flushing:
            self._flushing = True
            self._spawn(self._flush())

    async def _flush(self) -> None:
        try:
            while self._urgent or self._waiting:
                await self._turn()
                queue = self._urgent or self._waiting
                key = next(iter(queue))
                edit = queue.pop(key)
                await self._send(key, edit)
        finally:
            self._flushing = False

    async def _turn(self) -> None:
        """Wait until one more call keeps the last 60 s within ``per_minute``."""
        while True:
            now = self._clock()
            while self._sent and self._sent[0] <= now - 60:
                self._sent.popleft()
            if len(self._sent) < self._per_minute:
                self._sent.append(now)
                return
            await self._sleep(self._sent[0] + 60 - now)

    async def _send(self, key: Key, edit: _Edit) -> None:
        try:
            await self._slack.chat_update(channel=key[0], ts=key[1], **edit.fields)
        except SlackApiError as exc:
            log.info("an edit was refused", extra={"error": exc.response.get("error")})
            if edit.if_gone is not None:
                await edit.if_gone()
