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
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.alerts.custom import AlertSourceConfig
from bot.config_errors import describe, did_you_mean, is_placeholder, unknown
from bot.domain.disclosure import AllowPatterns, Category, DisclosurePolicy
from bot.domain.errors import ConfigError, ConfigErrors
from bot.domain.routes import Route
from bot.providers.config import ProviderConfigBase
from bot.providers.registry import REGISTRY

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
TOKEN_PREFIXES = {"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": "xapp-"}
TOKEN_HINTS = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & "
    "Permissions page",
    "SLACK_APP_TOKEN": "create an app-level token (xapp-…) with connections:write under Basic "
    "Information, or leave it unset for HTTP mode",
    "SLACK_SIGNING_SECRET": "copy the Signing Secret from the app's Basic Information page",
    "SLACK_SIGNING_SECRET_PREVIOUS": "set it to the secret you are rotating away from, or "
    "leave it unset",
}
OPTIONAL_SECRETS = ("slack_app_token", "slack_signing_secret_previous")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
_USER = (USER_ID, "user id (U… or W…: the member ID in the user's profile)")
_GROUP = (GROUP_ID, "user group id (S…)")
_CHANNEL = (CHANNEL_ID, "channel id (C… or G…: at the bottom of the channel's details)")
SLACK_IDS = {
    "admins": _USER,
    "admin_group": _GROUP,
    "allowed_groups": _GROUP,
    "allowed_channels": _CHANNEL,
    "admin_channel": _CHANNEL,
    "thread_sync_off": _CHANNEL,
}


class EnvSettings(BaseSettings):
    """The process environment."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr
    # NOTE: while rotating, the secret before: requests and seals signed with it still verify.
    slack_signing_secret_previous: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str | None = None
    port: int = Field(default=3000, ge=0, le=65535)
    host: str = "0.0.0.0"  # noqa: S104  (a server in a container listens on all interfaces)
    # /metrics (and /healthz, /livez) on a port of their own, off the public one; the same
    # number as PORT serves them all on one port; 0 picks a free port (tests)
    metrics_port: int = Field(default=9090, ge=0, le=65535)
    ticketbot_config: Path = Path("ticketbot.toml")
    ticketbot_db: str = "ticketbot.db"  # a SQLite file, or a postgresql:// URL
    # NOTE: the PostgreSQL password apart from the URL (asyncpg reads it); here to be checked
    # for placeholders and redacted like every secret.
    pgpassword: SecretStr | None = None
    log_format: Literal["json", "text"] = "json"

    @field_validator(
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "slack_signing_secret_previous",
        mode="before",
    )
    @classmethod
    def _token_kind(cls, value: Any, info: ValidationInfo) -> Any:
        """Empty, a placeholder from .env.example, or the wrong kind of token: said plainly.

        NOTE: an empty SLACK_APP_TOKEN means "no Socket Mode" (HTTP mode), as if unset; an
        empty SLACK_SIGNING_SECRET_PREVIOUS means no rotation under way.
        """
        name = str(info.field_name).upper()
        if isinstance(value, str):
            value = value.strip()
            if not value and info.field_name in OPTIONAL_SECRETS:
                return None
            if not value:
                raise ValueError(f"{name}: is empty; {TOKEN_HINTS[name]}")
            if is_placeholder(value):
                raise ValueError(f"{name}: is still the example's placeholder; {TOKEN_HINTS[name]}")
            prefix = TOKEN_PREFIXES.get(name)
            if prefix and not value.startswith(prefix):
                other = next((n for n, p in TOKEN_PREFIXES.items() if value.startswith(p)), None)
                mixed = f" (that is a {other} token)" if other else ""
                raise ValueError(f"{name}: not a {prefix}… token{mixed}; {TOKEN_HINTS[name]}")
        return value

    @field_validator("pgpassword", mode="after")
    @classmethod
    def _password(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and is_placeholder(value.get_secret_value()):
            raise ValueError("still the example's placeholder; set the real password")
        return value

    @field_validator("ticketbot_db", mode="after")
    @classmethod
    def _database_password(cls, value: str) -> str:
        """A PostgreSQL URL whose password is an example's stand-in (``change-me``)."""
        try:
            password = urlsplit(value).password if value.startswith("postgres") else None
        except ValueError:
            password = None  # NOTE: a malformed URL is the connection's to report
        if password is not None and is_placeholder(unquote(password)):
            raise ValueError(
                "the password is still the example's placeholder; set a real one (in "
                "POSTGRES_PASSWORD with compose)"
            )
        return value

    def signing_secrets(self) -> tuple[str, ...]:
        """The signing secret, then the previous one while a rotation is under way."""
        previous = self.slack_signing_secret_previous
        current = self.slack_signing_secret.get_secret_value()
        return (current, previous.get_secret_value()) if previous else (current,)


class Options(BaseModel):
    """The ``[ticketbot]`` table: who administers the bot, and who may file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("file_emoji", mode="before")
    @classmethod
    def _emoji_name(cls, value: Any) -> Any:
        """``:ticket:`` and ``ticket`` name the same reaction."""
        return value.strip().strip(":") if isinstance(value, str) else value

    @field_validator(*SLACK_IDS, mode="after")
    @classmethod
    def _slack_ids(cls, value: Any, info: ValidationInfo) -> Any:
        """Slack ids checked by shape: U…/W… users, S… user groups, C…/G… channels."""
        name = str(info.field_name)
        pattern, what = SLACK_IDS[name]
        values = value if isinstance(value, tuple) else (value,) if value else ()
        for n, item in enumerate(values):
            where = f"{name}[{n}]" if isinstance(value, tuple) else name
            if is_placeholder(item):
                raise ValueError(f"{where}: still the example's placeholder; put a real {what}")
            if not pattern.match(item):
                raise ValueError(f"{where}: not a Slack {what}")
        return value

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
    drain_seconds: float = Field(
        default=8,
        ge=0,
        le=300,
        description="On SIGTERM, how long in-flight provider calls may finish before the rest "
        "is parked for the next start; keep it below the stop timeout (Docker's is 10 s).",
    )
    file_emoji: str = Field(
        default="ticket",
        pattern=r"^[a-z0-9_+'-]{0,100}$",
        description='The reaction that files a message (its name, without colons); "" '
        "turns filing by emoji off.",
    )
    follow_alerts: bool = Field(
        default=True,
        description="An alert's fired-again and resolved messages reach its ticket's thread.",
    )
    link_guests_by_email: bool = Field(
        default=False,
        description="Also find guests and Slack Connect users of other organisations a "
        "customer by their Slack e-mail (off: only this workspace's members; an e-mail Slack "
        "marks unconfirmed is never used).",
    )
    comment_on_resolve: bool = Field(
        default=True, description="A resolved alert is commented on its provider ticket."
    )
    comment_on_refire: bool = Field(
        default=True,
        description="An alert that fired again is commented on its provider ticket (at most "
        "once an hour per ticket).",
    )
    retention_days: float = Field(
        default=90,
        gt=0,
        le=3650,
        description="How long what people typed is kept once it is no longer needed: filed "
        "submissions' drafts, drafts given up on, sent comments' bodies, the requester ids in "
        "the link audit (see docs/operations.md, Retention).",
    )
    link_previews: bool = Field(
        default=True,
        description="A ticket link posted where everyone may see that ticket is unfurled.",
    )
    tickets_in_shared_channels: bool = Field(
        default=False,
        description="Link previews, /ticket list and /ticket find work in channels shared "
        "with another organisation (Slack Connect) too.",
    )
    redact: tuple[Category, ...] = Field(
        default=(Category.SECRETS,),
        description='What is redacted before text goes to a provider: any of "secrets", '
        '"emails", "phones", "ips", "cards" (a provider table may say otherwise).',
    )
    allow: AllowPatterns = Field(
        default=(),
        description="Regular expressions for strings that look secret and are not (a team's "
        "public key ids); a pattern must match a finding whole.",
    )
    send_as_typed: Literal["admins", "nobody"] = Field(
        default="admins",
        description="Who may send a finding unredacted from the form (audited: who and when).",
    )
    replica_timeout_seconds: float = Field(
        default=30,
        ge=1,
        le=600,
        description="PostgreSQL with replicas: a replica whose heartbeat is this old is taken "
        "for dead, and the submissions it was filing are taken over by the others.",
    )

    @property
    def disclosure(self) -> DisclosurePolicy:
        """The default policy for every provider."""
        return DisclosurePolicy(redact=self.redact, allow=self.allow)


class Settings(BaseModel):
    """Everything the bot needs to start, validated."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    env: EnvSettings
    options: Options = Options()
    providers: dict[str, ProviderConfigBase]
    routes: tuple[Route, ...] = ()
    alert_sources: tuple[AlertSourceConfig, ...] = ()


TOP_LEVEL = ("ticketbot", "providers", "routes", "alert_sources")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the environment (default: os.environ over ./.env) and the providers file; raise
    ``ConfigErrors`` with every problem found, each naming its key and what to do."""
    if environ is None:
        # NOTE: a .env file in the working directory fills in what the environment lacks.
        from dotenv import dotenv_values

        dotenv = {k: v for k, v in dotenv_values(".env").items() if v is not None}
        environ = {**dotenv, **os.environ}
    environ = dict(environ)
    problems: list[ConfigError] = []
    env: EnvSettings | None = None
    try:
        env = EnvSettings.model_validate(
            {k.lower(): v for k, v in environ.items() if k.lower() in EnvSettings.model_fields}
        )
    except ValidationError as exc:
        problems += [
            ConfigError(p.key, f"not set; {TOKEN_HINTS[p.key]} (in .env or the environment)")
            if p.key in TOKEN_HINTS and p.problem.startswith("required")
            else p
            for p in describe(exc, "", env=True)
        ]
    path = (
        env.ticketbot_config if env else Path(environ.get("TICKETBOT_CONFIG") or "ticketbot.toml")
    )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(
            ConfigError(
                "TICKETBOT_CONFIG",
                f"providers file {path} does not exist; copy ticketbot.example.toml to it",
            )
        )
        raise ConfigErrors(problems) from None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(
            ConfigError("TICKETBOT_CONFIG", f"cannot read {path} ({type(exc).__name__})")
        )
        raise ConfigErrors(problems) from None
    except tomllib.TOMLDecodeError as exc:
        problems.append(ConfigError(str(path), f"not valid TOML ({exc})"))
        raise ConfigErrors(problems) from None
    for key in raw:
        if key not in TOP_LEVEL:
            problems.append(unknown(key, key, TOP_LEVEL, "table"))
    providers = _providers(raw.get("providers"), path, environ, REGISTRY, problems)
    options = Options()
    try:
        options = Options.model_validate(raw.get("ticketbot", {}))
    except ValidationError as exc:
        problems += describe(exc, "ticketbot", Options)
    routes = _routes(raw.get("routes", []), raw.get("providers"), problems)
    alert_sources = _alert_sources(raw.get("alert_sources", []), problems)
    if problems or env is None:
        raise ConfigErrors(problems)
    return Settings(
        env=env, options=options, providers=providers, routes=routes, alert_sources=alert_sources
    )


def _alert_sources(tables: Any, problems: list[ConfigError]) -> tuple[AlertSourceConfig, ...]:
    """The team's own ``[[alert_sources]]`` (bot.alerts.custom): each checked, names unique."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append(
            ConfigError("alert_sources", "must be [[alert_sources]] tables (an array of tables)")
        )
        return ()
    found: list[AlertSourceConfig] = []
    for n, table in enumerate(tables):
        key = f"alert_sources[{n}]"
        try:
            source = AlertSourceConfig.model_validate(table)
        except ValidationError as exc:
            problems += describe(exc, key, AlertSourceConfig)
            continue
        if any(source.name == other.name for other in found):
            problems.append(ConfigError(f"{key}.name", f"{source.name} is taken; names are unique"))
        found.append(source)
    return tuple(found)


def _routes(tables: Any, providers: Any, problems: list[ConfigError]) -> tuple[Route, ...]:
    """The ``[[routes]]``: each names a provider table and channel ids, no channel twice."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append(ConfigError("routes", "must be [[routes]] tables (an array of tables)"))
        return ()
    known = sorted(providers) if isinstance(providers, dict) else []
    routes: list[Route] = []
    taken: dict[str, int] = {}
    for n, table in enumerate(tables):
        key = f"routes[{n}]"
        try:
            route = Route.model_validate(table)
        except ValidationError as exc:
            problems += describe(exc, key, Route)
            continue
        if route.provider not in known:
            near = did_you_mean(route.provider, known)
            problems.append(
                ConfigError(
                    f"{key}.provider",
                    f"no [providers.{route.provider}] table{near}; one of: {', '.join(known)}",
                )
            )
        for i, channel in enumerate(route.channels):
            where = f"{key}.channels[{i}]"
            if not CHANNEL_ID.match(channel):
                problems.append(ConfigError(where, f"not a Slack {_CHANNEL[1]}"))
            elif channel in taken:
                problems.append(
                    ConfigError(
                        where,
                        f"{channel} is in routes[{taken[channel]}] already; a channel belongs "
                        "to one route",
                    )
                )
            else:
                taken[channel] = n
        routes.append(route)
    return tuple(routes)


def _providers(
    tables: Any,
    path: Path,
    environ: Mapping[str, str],
    registry: Mapping[str, Any],
    problems: list[ConfigError],
) -> dict[str, ProviderConfigBase]:
    kinds = sorted(registry)
    if not isinstance(tables, dict) or not tables:
        problems.append(
            ConfigError(
                "providers",
                f"{path} defines no [providers.<name>] table; add one (kinds: {', '.join(kinds)})",
            )
        )
        return {}
    providers: dict[str, ProviderConfigBase] = {}
    for name, table in tables.items():
        key = f"providers.{name}"
        if not isinstance(table, dict):
            problems.append(ConfigError(key, "must be a table: [providers.<name>] with its keys"))
            continue
        if not NAME.match(name):
            problems.append(
                ConfigError(
                    key,
                    "name must be lower-case letters, digits, - or _ (it is typed "
                    "in /ticket <name>)",
                )
            )
        kind = table.get("kind")
        entry = registry.get(kind) if isinstance(kind, str) else None
        if entry is None:
            near = did_you_mean(kind, kinds) if isinstance(kind, str) else ""
            what = "unknown kind" if kind is not None else "required"
            problems.append(ConfigError(f"{key}.kind", f"{what}{near}; one of: {', '.join(kinds)}"))
            continue
        try:
            providers[name] = entry.config.model_validate(
                {**table, "name": name}, context={"env": environ}
            )
        except ValidationError as exc:
            problems += describe(exc, key, entry.config)
    return providers
