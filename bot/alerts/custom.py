"""The team's own alert sources, from the providers file, read like the catalogue's tools.

```toml
[[alert_sources]]
name = "nightwatch"                         # shown in the logs and docs/alerts.md's terms
bot_names = ["Nightwatch"]                  # a webhook's username or the app's name …
bot_ids = ["B0123ABCD"]                     # … or its bot (or app) id: at least one of the two
identity = 'check=(?P<identity>[\\w.-]+)'    # what names the alert across its messages
subject = '^\\[\\w+\\] (?P<subject>.+)'        # optional: else the generic subject
resolved = '^\\[RESOLVED\\]'                  # optional: else the generic "resolved" heads
```
The patterns are RE2 (google-re2): linear time whatever the message, so a pattern typed in the
config cannot stall the bot. Each is searched in the message's plain text (every part of it,
in reading order); the group named like the key (or else the whole match) is what it reads.
"""

from __future__ import annotations

from typing import Any

import re2
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.alerts import generic
from bot.alerts.shape import Message
from bot.alerts.source import Source
from bot.alerts.text import plain

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # NOTE: else RE2 prints each bad pattern to stderr itself
_OPTIONS.max_mem = 8 << 20


def _compile(pattern: str) -> Any:
    return re2.compile(pattern, options=_OPTIONS)


class AlertSourceConfig(BaseModel):
    """One ``[[alert_sources]]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    bot_names: tuple[str, ...] = ()
    bot_ids: tuple[str, ...] = ()
    identity: str = Field(min_length=1, max_length=1000)
    subject: str | None = Field(default=None, min_length=1, max_length=1000)
    resolved: str | None = Field(default=None, min_length=1, max_length=1000)

    @field_validator("identity", "subject", "resolved")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                _compile(value)
            except re2.error as exc:
                reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else ""
                raise ValueError(f"not a pattern RE2 accepts ({reason.split(':')[0]})") from None
        return value

    @model_validator(mode="after")
    def _someone(self) -> AlertSourceConfig:
        if not self.bot_names and not self.bot_ids:
            raise ValueError("bot_names: give bot_names or bot_ids (whose messages these are)")
        return self


def _read(pattern: Any, name: str, text: str) -> str | None:
    match = pattern.search(text)
    if match is None:
        return None
    found = match.group(name) if name in pattern.groupindex else match.group(0)
    return str(found).strip() or None


def build(config: AlertSourceConfig) -> Source:
    """The ``Source`` a table describes."""
    identity = _compile(config.identity)
    subject = _compile(config.subject) if config.subject else None
    resolved = _compile(config.resolved) if config.resolved else None

    def text(message: Message) -> str:
        return plain(message.all_text)

    def read_subject(message: Message) -> str | None:
        return _read(subject, "subject", text(message)) if subject is not None else None

    def is_resolved(message: Message) -> bool:
        if resolved is None:
            return generic.said_resolved(message)
        return resolved.search(text(message)) is not None

    return Source(
        name=config.name,
        names=(*config.bot_names, *config.bot_ids),
        recognises=lambda message: False,  # NOTE: by its names and ids only
        identity=lambda message: _read(identity, "identity", text(message)),
        resolved=is_resolved,
        subject=read_subject,
    )
