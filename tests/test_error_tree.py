"""The error tree drawn in ``bot/domain/errors.py`` is the one the code has, and the one error
handler logs each branch as what it is."""

from __future__ import annotations

import importlib
import inspect
import logging
import re
from pathlib import Path

import pytest

from bot.domain import errors
from bot.domain.errors import (
    CannotTell,
    FeatureMissing,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    StoreUnavailable,
)
from bot.slack.listeners.errors import _log

BOT = Path(__file__).resolve().parent.parent / "bot"
# NOTE: transport errors of the Slack session: aiohttp's family on purpose (the docstring says)
OUTSIDE = {"NotSlack", "AnswerTooBig"}


def _ours() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for path in sorted(BOT.rglob("*.py")):
        if path.name == "__main__.py":
            continue  # NOTE: runs the CLI when imported
        name = ".".join(path.relative_to(BOT.parent).with_suffix("").parts)
        module = importlib.import_module(name.removesuffix(".__init__"))
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                found[cls_name] = cls
    return found


def _drawn() -> dict[str, str]:
    """Class name → the name of its parent in the docstring's tree ("" for a root)."""
    doc = errors.__doc__ or ""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        if not (m := re.match(r"^( *)[*x+-] ([\w, ]+?)(?: \([\w/.]+\))? - ", line)):
            continue
        depth = len(m.group(1))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        for name in m.group(2).split(", "):
            parents[name] = stack[-1][1] if stack else ""
        stack.append((depth, m.group(2).split(", ")[-1]))
    return parents


def test_every_exception_of_ours_is_drawn_where_it_sits() -> None:
    ours = _ours()
    drawn = _drawn()
    assert set(ours) - OUTSIDE == set(drawn)
    for name, parent in drawn.items():
        base = ours[name].__bases__[0].__name__
        assert base == (parent or "Exception"), f"{name} is drawn under {parent or 'nothing'}"


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (ProviderUnavailable("HostUp cannot be reached."), "provider unavailable: "),
        (ProviderTimeout("HostUp did not answer in time.", maybe_created=False), "provider timed"),
        (RateLimited("HostUp is rate limiting us."), "provider timed out or rate limited: "),
        (StoreUnavailable("the database is locked"), "StoreUnavailable: "),
        (CannotTell("the list is unreadable"), "CannotTell: "),
        (FeatureMissing("no status endpoint"), "FeatureMissing: "),
    ],
)
def test_only_a_provider_outage_is_logged_as_one(
    error: Exception, said: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.slack.listeners.errors"):
        _log(error, "ref1", {"type": "view_submission"})
    (record,) = caplog.records
    assert record.getMessage().startswith(said)
    assert ("provider unavailable" in record.getMessage()) is isinstance(error, ProviderUnavailable)
