"""What a ticket's thread hears after filing: the alert fired again or resolved, and the
provider has not answered in time. Times are Slack date tokens, shown in each reader's zone."""

from __future__ import annotations

import time

from bot.slack.views.text import escape


def slack_time(at: float) -> str:
    """``<!date^…^{time}|fallback>``: the reader's local time, UTC where it cannot render."""
    fallback = time.strftime("%H:%M UTC", time.gmtime(at))
    return f"<!date^{int(at)}^{{time}}|{fallback}>"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def fired_again_text(at: float, firings: int) -> str:
    """*Fired again at 10:42 (3rd time since filing)*: ``firings`` counts the first one."""
    return (
        f":repeat: The alert fired again at {slack_time(at)} ({ordinal(firings)} time since filing)"
    )


def resolved_text(at: float, lasted: str, firings: int = 1) -> str:
    """*Resolved at 11:05, after 23 min*, and how often it fired if more than once."""
    text = f":white_check_mark: Resolved at {slack_time(at)}, after {escape(lasted)}"
    return text if firings <= 1 else f"{text}; it fired {firings} times since filing"


def hours(seconds: float) -> str:
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    value = round(seconds / 3600, 1)
    return f"{value:.0f} h" if value >= 10 or value == int(value) else f"{value:.1f} h"


def reminder_text(filer_id: str, title: str, waited: float, target: float) -> str:
    """*HostUp has not answered in 4 h (target 2 h)*, for the filer."""
    return (
        f":alarm_clock: <@{filer_id}> {escape(title)} has not answered in {hours(waited)} "
        f"(target {hours(target)})."
    )
