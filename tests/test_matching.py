"""bolt matches our listeners without building each one's arguments (bot/slack/matching.py)."""

from __future__ import annotations

from slack_bolt.listener_matcher.async_builtins import AsyncBuiltinListenerMatcher

from bot.slack.app import build_app
from bot.slack.matching import BodyMatcher
from tests.conftest import RunningBot


async def test_no_listener_is_matched_through_bolts_argument_builder(
    hostup_bot: RunningBot,
) -> None:
    """A bolt upgrade that moves its listeners or matchers elsewhere fails here, instead of
    quietly costing every request that reaches bolt a dozen argument builds again."""
    app = build_app(hostup_bot.deps.context)
    matchers = [m for listener in app._async_listeners for m in listener.matchers]
    assert len(app._async_listeners) >= 20
    assert not [m for m in matchers if isinstance(m, AsyncBuiltinListenerMatcher)]
    assert sum(isinstance(m, BodyMatcher) for m in matchers) >= len(app._async_listeners)
