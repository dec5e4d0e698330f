"""``/ticket stats`` and the App Home's figures: how fast each provider answers."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.figures import ProviderFigures
from bot.slack.views.alert_notes import hours
from bot.slack.views.text import escape


def figures_line(f: ProviderFigures, head: str | None = None) -> str:
    """One provider: filed, first reply median/p90, close median, share within target
    (``head``: what goes before the count; the provider's name by default)."""
    head = f"{head or f'*{escape(f.title)}*'}: {f.filed} filed"
    if not f.can_report:
        return f"{head}; {escape(f.title)} cannot report staff replies or status, so no times"
    if not f.filed:
        return head
    parts = [head]
    if f.first_reply_median is not None and f.first_reply_p90 is not None:
        parts.append(
            f"first staff reply median {hours(f.first_reply_median)}, "
            f"p90 {hours(f.first_reply_p90)} ({f.answered} answered)"
        )
    else:
        parts.append("no staff reply yet")
    if f.close_median is not None:
        parts.append(f"closed median {hours(f.close_median)} ({f.closed} closed)")
    if f.target is not None:
        share = "—" if f.within_target is None else f"{f.within_target:.0%}"
        parts.append(f"{share} within the {hours(f.target)} target")
    return " · ".join(parts)


def stats_text(figures: Sequence[ProviderFigures], days: float) -> str:
    span = f"{days:g} day" + ("" if days == 1 else "s")
    lines = [f"*Provider response times, last {span}*"]
    lines += [f"• {figures_line(f)}" for f in figures]
    if not figures:
        lines.append("No provider by that name.")
    return "\n".join(lines)
