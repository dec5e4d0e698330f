"""Every secret the bot knows, replaced by ``[redacted]`` wherever text leaves the process.

The secrets are the Slack tokens, the signing secret, every provider secret from the settings
and the password of a URL setting (the PostgreSQL URL's). They are replaced, whatever path
they came by (a provider echoing its API key in an error body, say), at the exits: log lines,
everything sent to Slack, CLI output. Each secret is also looked for URL-encoded and
JSON-escaped, the two forms an echo usually takes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from pydantic import BaseModel, SecretStr

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 6  # NOTE: shorter values are too likely to occur in ordinary text


class Redactor:
    """Replaces known secrets in text and in JSON-like values (dicts, lists, strings)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if len(secret) < MIN_SECRET_LENGTH:
                continue
            forms |= {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}
        # NOTE: longest first, so a secret that contains another is replaced whole.
        self._forms = tuple(sorted(forms, key=len, reverse=True))

    def __bool__(self) -> bool:
        return bool(self._forms)

    def text(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text

    def value(self, value: Any) -> Any:
        """``value`` with every string in it redacted; the same object when nothing was."""
        if not self._forms:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(item) for item in value)
        return value

    @classmethod
    def of(cls, *models: BaseModel) -> Redactor:
        """Every ``SecretStr`` held by ``models`` (and the models inside them)."""
        return cls(_secrets(models))


def _secrets(values: Iterable[Any]) -> Iterable[str]:
    for value in values:
        if isinstance(value, SecretStr):
            yield value.get_secret_value()
        elif isinstance(value, str) and "://" in value and "@" in value:
            # NOTE: a URL setting with a password in it (TICKETBOT_DB=postgresql://u:pw@h/db)
            if password := urlsplit(value).password:
                yield from (password, unquote(password))
        elif isinstance(value, BaseModel):
            yield from _secrets(getattr(value, name) for name in type(value).model_fields)
        elif isinstance(value, dict):
            yield from _secrets(value.values())
        elif isinstance(value, list | tuple):
            yield from _secrets(value)
