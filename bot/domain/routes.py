"""Channel routes: a channel that belongs to one provider's queue, with the form's defaults.

```toml
[[routes]]
channels = ["C0ALERTS", "C0OPS"]
provider = "hostup"
defaults = { department = "vps", priority = "high" }
on_emoji = "form"   # or "file": the emoji files at once
```
The shape is checked with the rest of the settings; the defaults against the provider's form
once it is known (``bot.tickets.routing``).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class OnEmoji(StrEnum):
    FORM = "form"  # the reactor gets a button that opens the prefilled form
    FILE = "file"  # the ticket is filed at once, as the reactor


class AlertFollowing(BaseModel):
    """What the bot does with an alert's later messages (globally, or per route: None
    there means "as the [ticketbot] table says")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    follow_alerts: bool | None = Field(
        default=None, description="Fired-again and resolved messages reach the ticket's thread."
    )
    comment_on_resolve: bool | None = Field(
        default=None, description="…and a resolve is commented on the provider ticket."
    )
    comment_on_refire: bool | None = Field(
        default=None, description="…and a refire too (at most once an hour per ticket)."
    )


class Route(AlertFollowing):
    channels: tuple[str, ...] = Field(min_length=1, description="Channel ids (C… or G…).")
    provider: str = Field(description="A [providers.<name>] table.")
    defaults: dict[str, str] = Field(
        default_factory=dict, description="Form field → value, filled in for this channel."
    )
    on_emoji: OnEmoji = OnEmoji.FORM


class Routes:
    """Which route a channel is in, if any."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.all = tuple(routes)
        self._by_channel = {channel: route for route in self.all for channel in route.channels}

    def of(self, channel_id: str | None) -> Route | None:
        return self._by_channel.get(channel_id or "")
