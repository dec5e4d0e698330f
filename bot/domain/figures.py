"""How fast a provider answered, over a window: what ``/ticket stats`` and the App Home show."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderFigures:
    """One provider's figures over a window (seconds; None: no ticket to measure)."""

    provider: str
    title: str
    filed: int
    can_report: bool  # staff replies and closing can be read from this provider
    answered: int = 0
    first_reply_median: float | None = None
    first_reply_p90: float | None = None
    closed: int = 0
    close_median: float | None = None
    target: float | None = None
    within_target: float | None = None  # share of the measurable tickets, 0..1
