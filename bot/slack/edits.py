"""Edits of messages the bot keeps up to date (an alert's *fired again* note, a ticket card),
coalesced and paced: in an alert storm one note may change many times a second, and
``chat.update`` is Tier 3, 50+ a minute per workspace (https://api.slack.com/apis/rate-limits).

Each message's latest edit wins. Urgent edits (a card saying its alert resolved) leave at
once, oldest first. The others (a note's count) leave at once too if their message was not
edited in the last ``settle`` seconds; else once it has been left alone for ``settle``
seconds, or ``max_wait`` after its first waiting edit if it keeps changing: a storm then costs
one edit per message while it lasts, and the budget is there for what it ends with. At most
``per_minute`` leave in any 60 s. An edit Slack refuses (the message was deleted) runs the
caller's ``if_gone`` instead. Edits still waiting when the process stops are not sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
TIER3_PER_MINUTE = 45  # NOTE: Slack's Tier 3 is "50+ per minute"; kept under, with headroom
Key = tuple[str, str]  # (channel, ts) of the message edited


SETTLE_SECONDS = 10.0
MAX_WAIT_SECONDS = 300.0


@dataclass
class _Edit:
    fields: dict[str, Any]
    if_gone: Callable[[], Awaitable[None]] | None
    order: float
    first: float  # when the message's oldest waiting edit came
    last: float  # when this edit came
    at_once: bool  # the message had not been edited for ``settle`` s


class PacedEdits:
    def __init__(
        self,
        slack: AsyncWebClient,
        spawn: Callable[[Coroutine[Any, Any, Any]], None],
        *,
        per_minute: int = TIER3_PER_MINUTE,
        settle: float = SETTLE_SECONDS,
        max_wait: float = MAX_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._slack = slack
        self._spawn = spawn
        self._per_minute = per_minute
        self._settle = settle
        self._max_wait = max_wait
        self._wake = asyncio.Event()
        self._clock = clock
        self._sleep = sleep
        self._urgent: dict[Key, _Edit] = {}
        self._waiting: dict[Key, _Edit] = {}
        self._sent: deque[float] = deque()
        self._recent: OrderedDict[Key, float] = OrderedDict()  # edited in the last ``settle`` s
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
        now = self._clock()
        while self._recent and next(iter(self._recent.values())) <= now - self._settle:
            self._recent.popitem(last=False)
        at_once = waiting.at_once if waiting else key not in self._recent
        queue = self._urgent if urgent or key in self._urgent else self._waiting
        queue[key] = _Edit(fields, if_gone, order, waiting.first if waiting else now, now, at_once)
        self._wake.set()
        if not self._flushing:
            self._flushing = True
            self._spawn(self._flush())

    def drop(self, channel: str, ts: str) -> None:
        """Forget the message's waiting edit (what it said is said elsewhere now)."""
        self._urgent.pop((channel, ts), None)
        self._waiting.pop((channel, ts), None)

    def _due(self, edit: _Edit) -> float:
        if edit.at_once:
            return edit.first
        return min(edit.last + self._settle, edit.first + self._max_wait)

    async def _flush(self) -> None:
        try:
            while self._urgent or self._waiting:
                if self._urgent:
                    queue = self._urgent
                    key = next(iter(queue))
                else:
                    queue = self._waiting
                    key = min(queue, key=lambda k: self._due(queue[k]))
                    wait = self._due(queue[key]) - self._clock()
                    if wait > 0:
                        await self._nap(wait)
                        continue
                await self._turn()
                if key in queue:  # NOTE: dropped or made urgent meanwhile: look again
                    await self._send(key, queue.pop(key))
        finally:
            self._flushing = False

    async def _nap(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if an edit comes meanwhile."""
        self._wake.clear()
        woken = asyncio.ensure_future(self._wake.wait())
        slept = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait({woken, slept}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            slept.cancel()

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
        self._recent[key] = self._clock()
        self._recent.move_to_end(key)
        try:
            await self._slack.chat_update(channel=key[0], ts=key[1], **edit.fields)
        except SlackApiError as exc:
            log.info("an edit was refused", extra={"error": exc.response.get("error")})
            if edit.if_gone is not None:
                await edit.if_gone()
