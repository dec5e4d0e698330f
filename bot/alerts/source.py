"""What a module in the catalogue of alert sources says about its tool's messages.

A tool's module builds one ``Source``: how to recognise its messages, and whatever it reads
better than the generic reader (identity, resolved, subject, severity); the rest is generic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.alerts import generic
from bot.alerts.shape import Message
from bot.domain.alerts import Severity


def _none(message: Message) -> str | None:
    return None


def _never(message: Message) -> bool:
    return False


@dataclass(frozen=True)
class Source:
    """One alert tool: how to recognise its messages (``names``, then ``recognises``) and
    what it reads better than the generic reader."""

    name: str
    recognises: Callable[[Message], bool]
    identity: Callable[[Message], str | None]
    # the names its messages come under (a webhook's username, the app's name), any case: a
    # message sent under one is this tool's, whatever its content links to
    names: tuple[str, ...] = ()
    resolved: Callable[[Message], bool] = generic.said_resolved
    # news about the alert that neither fires nor resolves it: acknowledged, assigned, a note
    update: Callable[[Message], bool] = _never
    subject: Callable[[Message], str | None] = _none  # raw or plain; None: the generic one
    severity: Callable[[Message], Severity | None] = generic.severity
    body: Callable[[Message, Mapping[str, str]], str] = generic.body


GENERIC = Source(name="generic", recognises=lambda m: True, identity=generic.identity)
