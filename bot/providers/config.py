"""The keys every ``[providers.<name>]`` table may have; each adapter's config model extends it.

Secrets live only in environment variables: the providers file names the variable
(``api_key_env = "HOSTUP_API_KEY"``) and the model resolves it into a ``SecretStr``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.config_errors import is_placeholder
from bot.domain.disclosure import AllowPatterns, Category, DisclosurePolicy, merge

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


@dataclass(frozen=True)
class Unresolved:
    """A secret that could not be resolved, and why (reported by the field's validation)."""

    problem: str


def _resolve(field: str, var: Any, env: Mapping[str, str]) -> SecretStr | Unresolved:
    """The secret the variable named by ``<field>_env`` holds, or why there is none."""
    key = f"{field}_env"
    if not isinstance(var, str) or not ENV_NAME.match(var):
        # NOTE: never echoed: it may be the secret itself, pasted in the wrong place.
        return Unresolved(
            f"{key}: must be the name of an environment variable (like HOSTUP_API_KEY) that "
            "holds the secret, not the secret itself"
        )
    value = env.get(var)
    if value is None:
        return Unresolved(f"{key}: environment variable {var} is not set")
    if not value.strip():
        return Unresolved(f"{key}: environment variable {var} is empty")
    if is_placeholder(value):
        return Unresolved(
            f"{key}: environment variable {var} still holds the example's placeholder; put the "
            "real secret in it"
        )
    return SecretStr(value)


class ProviderConfigBase(BaseModel):
    """Keys every ``[providers.<name>]`` table may have; each adapter extends it.

    Subclasses list their secret fields in ``secret_fields``; the file gives ``<field>_env``,
    the name of the environment variable holding the secret.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    secret_fields: ClassVar[tuple[str, ...]] = ()

    name: str = Field(description="The table's key, e.g. 'hostup'.")
    kind: str
    base_url: AnyHttpUrl
    title: str | None = Field(default=None, max_length=40)
    ticket_url: str | None = Field(
        default=None, description="Link template with {id} and/or {number}."
    )
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    max_connections: int = Field(
        default=50, ge=1, le=500, description="Requests to this provider in flight at once."
    )
    poll_seconds: float = Field(default=120, ge=1, description="How often to read status.")
    first_response_minutes: float | None = Field(
        default=None,
        gt=0,
        le=60 * 24 * 30,
        description="Target for staff's first reply; the thread is reminded once when it passes.",
    )

    redact: tuple[Category, ...] | None = Field(
        default=None,
        description="What is redacted before text goes to this provider (default: [ticketbot] "
        'redact); any of "secrets", "emails", "phones", "ips", "cards".',
    )
    allow: AllowPatterns = Field(
        default=(),
        description="Regular expressions for strings that look secret and are not (added to "
        "[ticketbot] allow); a pattern must match a finding whole.",
    )

    def disclosure(self, default: DisclosurePolicy) -> DisclosurePolicy:
        """This provider's policy: its ``redact`` or the default's; both ``allow`` lists."""
        return merge(default, self.redact, self.allow)

    @model_validator(mode="before")
    @classmethod
    def _resolve_secrets(cls, data: Any, info: ValidationInfo) -> Any:
        """Each ``<field>_env`` resolved to its variable's value. A problem with one is left in
        the field's place (``Unresolved``) for its own validation to report, so the table's
        other keys are still checked and every problem is said at once."""
        if not isinstance(data, dict):
            return data
        env: Mapping[str, str] = (info.context or {}).get("env", os.environ)
        data = dict(data)
        for field in cls.secret_fields:
            if field in data:
                data[field] = Unresolved(
                    f"{field}: put the secret in an environment variable and name it in {field}_env"
                )
                data.pop(f"{field}_env", None)
                continue
            if f"{field}_env" in data:
                data[field] = _resolve(field, data.pop(f"{field}_env"), env)
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _unresolved(cls, value: Any) -> Any:
        if isinstance(value, Unresolved):
            raise ValueError(value.problem)  # NOTE: names the key, never the value
        return value

    @property
    def url(self) -> str:
        """The base URL without a trailing slash, ready for ``f"{url}/path"``."""
        return str(self.base_url).rstrip("/")

    def link_for(self, ticket_id: str, number: str) -> str | None:
        """The ticket's link; the provider's id and number are URL-encoded into it."""
        if not self.ticket_url:
            return None
        return self.ticket_url.format(id=quote(ticket_id, safe=""), number=quote(number, safe=""))
