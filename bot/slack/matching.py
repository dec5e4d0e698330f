"""bolt's listener matching, without building every listener's arguments for every request.

bolt tries the listeners in turn until one matches. Each of its built-in matchers (the
``app.event("message")``, ``app.view("…")``, ``app.action("…")`` part) is a function of the
body alone, but bolt calls it through ``build_async_required_kwargs``, which first works out
every argument any listener could ask for (the payload eight ways, ``say``, ``respond``, …)
and keeps the one it needs. With twenty-odd listeners, a request that matches the last of them
paid for that twenty times over. ``cheap_matching`` calls the same function with the same
body directly: which listener matches, and when, is unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.listener_matcher.async_builtins import AsyncBuiltinListenerMatcher
from slack_bolt.listener_matcher.async_listener_matcher import AsyncListenerMatcher
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse


class BodyMatcher(AsyncListenerMatcher):
    """A built-in matcher's own function, called with the body it asks for."""

    def __init__(self, func: Callable[..., Awaitable[bool]]) -> None:
        self.func = func

    async def async_matches(self, req: AsyncBoltRequest, resp: BoltResponse) -> bool:
        return await self.func(body=req.body)


def cheap_matching(app: AsyncApp) -> int:
    """Swap each listener's built-in matchers that take only the body for ``BodyMatcher``;
    the number swapped (``tests/test_matching.py`` checks that none is left)."""
    swapped = 0
    # NOTE: bolt 1.x keeps its listeners in ``_async_listeners``, each with a list of matchers
    for listener in app._async_listeners:
        matchers: Any = listener.matchers
        for n, matcher in enumerate(matchers):
            if type(matcher) is AsyncBuiltinListenerMatcher and matcher.arg_names == ["body"]:
                matchers[n] = BodyMatcher(matcher.func)  # type: ignore[arg-type]
                swapped += 1
    return swapped
