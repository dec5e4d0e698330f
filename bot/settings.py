"""Settings: the process environment plus the providers file (TOML), validated into typed config.

Nothing here runs at import time; ``load_settings`` is called by the CLI and by tests.
Secrets live only in environment variables: the providers file names the variable
(``api_key_env = "HOSTUP_API_KEY"``) and the loader resolves it into a ``SecretStr``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


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

    @model_validator(mode="before")
    @classmethod
    def _resolve_secrets(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        env: Mapping[str, str] = (info.context or {}).get("env", os.environ)
        data = dict(data)
        for field in cls.secret_fields:
            if field in data:
                raise ValueError(
                    f"{field}: put the secret in an environment variable and name it in {field}_env"
                )
            var = data.pop(f"{field}_env", None)
            if var is None:
                continue
            if not isinstance(var, str) or not ENV_NAME.match(var):
                # NOTE: never echoed: it may be the secret itself, pasted in the wrong place.
                raise ValueError(
                    f"{field}_env: must be the name of an environment variable (like "
                    "HOSTUP_API_KEY) that holds the secret, not the secret itself"
                )
            value = env.get(var)
            if value is None:
                raise ValueError(f"{field}_env: environment variable {var} is not set")
            if not value.strip():
                raise ValueError(f"{field}_env: environment variable {var} is empty")
            data[field] = SecretStr(value)
        return data

    @property
    def url(self) -> str:
        """The base URL without a trailing slash, ready for ``f"{url}/path"``."""
        return str(self.base_url).rstrip("/")

    def link_for(self, ticket_id: str, number: str) -> str | None:
        """The ticket's link; the provider's id and number are URL-encoded into it."""
        if not self.ticket_url:
            return None
        return self.ticket_url.format(id=quote(ticket_id, safe=""), number=quote(number, safe=""))


class EnvSettings(BaseSettings):
    """The process environment."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr
    slack_app_token: SecretStr | None = None
    slack_api_url: str | None = None
    port: int = Field(default=3000, ge=0, le=65535)
    host: str = "0.0.0.0"  # noqa: S104  (a server in a container listens on all interfaces)
    ticketbot_config: Path = Path("ticketbot.toml")
    ticketbot_db: Path = Path("ticketbot.db")
    log_format: str = Field(default="json", pattern="^(json|text)$")


class Options(BaseModel):
    """The ``[ticketbot]`` table: who administers the bot, and who may file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    admins: tuple[str, ...] = Field(default=(), description="Slack user ids of bot admins.")
    admin_group: str | None = Field(default=None, description="A user group id (S…) of admins.")
    allowed_channels: tuple[str, ...] = Field(default=(), description="Empty: every channel.")
    allowed_groups: tuple[str, ...] = Field(default=(), description="Empty: everyone.")
    admin_channel: str | None = Field(default=None, description="Where config problems go.")
    retry_window_minutes: float = Field(default=30, gt=0, le=24 * 60)
    max_attachment_mb: float = Field(
        default=10, gt=0, le=100, description="Bigger files are listed, not attached."
    )
    background_slots: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Jobs after the ack (modals, filings) computing at once; the rest wait "
        "their turn so acks stay fast. A job waiting on a provider gives its slot back.",
    )
    thread_sync_off: tuple[str, ...] = Field(
        default=(), description="Channels whose ticket threads are not copied to the ticket."
    )


class Settings(BaseModel):
    """Everything the bot needs to start, validated."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    env: EnvSettings
    options: Options = Options()
    providers: dict[str, ProviderConfigBase]


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the environment (default: os.environ over ./.env) and the providers file; raise
    ``ConfigError`` naming the bad key."""
    from bot.providers import provider_config_model

    if environ is None:
        # NOTE: a .env file in the working directory fills in what the environment lacks.
        from dotenv import dotenv_values

        dotenv = {k: v for k, v in dotenv_values(".env").items() if v is not None}
        environ = {**dotenv, **os.environ}
    environ = dict(environ)
    try:
        env = EnvSettings.model_validate(
            {k.lower(): v for k, v in environ.items() if k.lower() in EnvSettings.model_fields}
        )
    except ValidationError as exc:
        raise _config_error(exc, prefix="") from None
    path = env.ticketbot_config
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("TICKETBOT_CONFIG", f"providers file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML ({exc})") from None
    tables = raw.get("providers")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError("providers", f"{path} defines no [providers.<name>] table")
    providers: dict[str, ProviderConfigBase] = {}
    for name, table in tables.items():
        key = f"providers.{name}"
        if not isinstance(table, dict):
            raise ConfigError(key, "must be a table")
        kind = table.get("kind")
        model = provider_config_model(kind) if isinstance(kind, str) else None
        if model is None:
            raise ConfigError(f"{key}.kind", f"unknown provider kind {kind!r}")
        try:
            providers[name] = model.model_validate(
                {**table, "name": name}, context={"env": environ}
            )
        except ValidationError as exc:
            raise _config_error(exc, prefix=key) from None
    try:
        options = Options.model_validate(raw.get("ticketbot", {}))
    except ValidationError as exc:
        raise _config_error(exc, prefix="ticketbot") from None
    return Settings(env=env, options=options, providers=providers)


def _config_error(exc: ValidationError, prefix: str) -> ConfigError:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    loc = ".".join(str(part) for part in first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    if ":" in msg and not loc:  # a before-validator names its own key: "api_key_env: …"
        loc, msg = (part.strip() for part in msg.split(":", 1))
    elif ":" in msg and msg.split(":", 1)[0].endswith("_env"):
        sub, msg = (part.strip() for part in msg.split(":", 1))
        loc = f"{loc}.{sub}" if loc else sub
    key = ".".join(part for part in (prefix, loc) if part) or "environment"
    if not prefix and loc and loc.isidentifier():
        key = loc.upper()  # an environment variable
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return ConfigError(key, f"{msg}{more}")
