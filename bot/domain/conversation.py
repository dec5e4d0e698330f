"""A thread's conversation, as a ticket can carry it: who said what and when."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Said:
    who: str  # a display name, "@ana"
    at: float  # epoch seconds
    text: str  # plain words, no Slack markup
