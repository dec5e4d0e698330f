"""``ticketbot check``: is everything this bot needs in place? One line per item, ✓ or ✗.

Exit code 0 only when every item passes. Secrets are never printed, not even in part.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import aiosqlite
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import AdminFixable, DatabaseUnusable, TicketbotError, Transient
from bot.providers.base import Provider, SupportsReply
from bot.settings import Settings
from bot.store.database import newer_schema
from bot.store.migrations import MIGRATIONS
from bot.store.postgres import look, safe_url
from bot.store.store import Store, is_postgres
from bot.tickets.routing import check_routes

BASE_SCOPES = {
    "commands": "/ticket and the message shortcut",
    "chat:write": "ticket cards and thread replies",
    "channels:join": "posting cards in public channels",
    "users:read": "filers' names",
    "users:read.email": "e-mail requester matching",
    "channels:read": "who may read a ticket (/ticket status): channel members",
    "groups:read": "who may read a ticket filed from a private channel",
    "files:read": "attaching a message's files to its ticket",
}
GROUP_SCOPES = {"usergroups:read": "admin_group / allowed_groups"}
THREAD_SCOPES = {
    "channels:history": "thread replies → ticket",
    "groups:history": "thread replies → ticket (private channels)",
    "reactions:write": "✅ on copied thread replies",
}
EMOJI_SCOPES = {
    "reactions:read": "filing by emoji (file_emoji)",
    "channels:history": "reading the message a reaction files",
    "groups:history": "…in private channels",
}
LINK_SCOPES = {
    "links:read": "link previews: ticket links posted (link_previews)",
    "links:write": "link previews: unfurling them",
}
ALERT_SCOPES = {
    "channels:history": "following alerts after filing (follow_alerts)",
    "groups:history": "…in private channels",
}


@dataclass(frozen=True)
class Item:
    ok: bool
    text: str
    warn: bool = False  # works, with something off (an optional endpoint missing)

    def line(self) -> str:
        return f"{'⚠' if self.warn else '✓' if self.ok else '✗'} {self.text}"


def needed_scopes(settings: Settings, providers: Mapping[str, Provider]) -> dict[str, str]:
    """The bot scopes the features in use need, each with what needs it."""
    needed = dict(BASE_SCOPES)
    if settings.options.admin_group or settings.options.allowed_groups:
        needed |= GROUP_SCOPES
    if any(isinstance(p, SupportsReply) for p in providers.values()):
        needed |= THREAD_SCOPES
    if settings.options.file_emoji:
        needed = EMOJI_SCOPES | needed
    if settings.options.link_previews and any(c.ticket_url for c in settings.providers.values()):
        needed |= LINK_SCOPES
    if settings.options.follow_alerts or any(r.follow_alerts for r in settings.routes):
        needed = ALERT_SCOPES | needed
    return needed


async def check_slack(slack: AsyncWebClient, needed: Mapping[str, str]) -> list[Item]:
    try:
        response = await slack.auth_test()
    except SlackApiError as exc:
        return [Item(False, f"SLACK_BOT_TOKEN: Slack refused it ({exc.response.get('error')})")]
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return [Item(False, f"SLACK_BOT_TOKEN: cannot reach Slack ({type(exc).__name__})")]
    items = [
        Item(
            True,
            f"SLACK_BOT_TOKEN works: workspace {response.get('team')}, bot @{response.get('user')}",
        )
    ]
    header = response.headers.get("x-oauth-scopes") or response.headers.get("X-OAuth-Scopes")
    if header is None:
        return [*items, Item(True, "Slack scopes: not reported, cannot check")]
    granted = {s.strip() for s in str(header).split(",")}
    missing = [f"{scope} ({why})" for scope, why in needed.items() if scope not in granted]
    if missing:
        return [
            *items,
            Item(
                False,
                "Slack scopes missing: "
                + ", ".join(missing)
                + "; add them in manifest.yml and reinstall the app",
            ),
        ]
    return [*items, Item(True, f"Slack scopes: all {len(needed)} needed are granted")]


def mode_item(settings: Settings) -> Item:
    env = settings.env
    if env.slack_app_token is not None:
        return Item(True, "mode: Socket Mode (SLACK_APP_TOKEN is set; no public URL needed)")
    return Item(
        True,
        f"mode: HTTP (SLACK_APP_TOKEN is not set): Slack must reach this bot's /slack/events on "
        f"port {env.port}",
    )


async def check_app_token(slack: AsyncWebClient, token: str) -> Item:
    """``apps.connections.open`` is harmless: the URL it hands out is simply never used."""
    try:
        await slack.apps_connections_open(app_token=token)
    except SlackApiError as exc:
        return Item(
            False,
            f"SLACK_APP_TOKEN: Slack refused it ({exc.response.get('error')}); it needs "
            "connections:write (Basic Information → App-Level Tokens)",
        )
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return Item(False, f"SLACK_APP_TOKEN: cannot reach Slack ({type(exc).__name__})")
    return Item(True, "SLACK_APP_TOKEN works: Socket Mode can connect")


async def check_provider(name: str, provider: Provider) -> list[Item]:
    """The provider's credentials (its probe), and any optional feature found off (⚠)."""
    found = await _probe(name, provider)
    return [found] + [
        Item(True, f"provider {name}: {feature} is off ({why}); filing does not need it", True)
        for feature, why in provider.features_off.items()
    ]


async def _probe(name: str, provider: Provider) -> Item:
    try:
        seen = await provider.probe()
    except AdminFixable as exc:
        return Item(False, f"provider {name}: {exc.message} {exc.admin_detail}".strip())
    except Transient as exc:
        tried = f" ({exc.detail})" if exc.detail else ""
        return Item(False, f"provider {name}: {exc.message}{tried}")
    except TicketbotError as exc:
        return Item(False, f"provider {name}: {exc.message}")
    return Item(True, f"provider {name} ({provider.title}): {seen}")


def _missing_database(path: Path) -> Item | None:
    """For a file that does not exist yet: whether it can be created."""
    if path.exists():
        return None
    parent = path.resolve().parent
    if os.access(parent, os.W_OK):
        return Item(True, f"database {path}: will be created on first run")
    return Item(False, f"database {path}: does not exist and {parent} is not writable")


def schema_item(where: str, version: int) -> Item:
    """The schema against this release's: current, to be migrated (said, not done), or newer."""
    known = len(MIGRATIONS)
    if version > known:
        return Item(False, f"database {where}: {newer_schema(version, known)}")
    if version < known:
        return Item(
            True,
            f"database {where}: schema version {version}; `ticketbot run` (or `ticketbot check "
            f"--migrate`) will apply migrations {version + 1}–{known}",
            warn=True,
        )
    return Item(True, f"database {where}: writable, schema version {version}")


async def check_database(where: str, migrate: bool = False) -> Item:
    """Read-only unless ``migrate``: a check before an upgrade must not change the schema
    under the replicas still running."""
    if is_postgres(where):
        return await (migrate_postgres(where) if migrate else check_postgres(where))
    path = Path(where)
    if missing := await asyncio.to_thread(_missing_database, path):
        return missing
    try:
        async with aiosqlite.connect(str(path)) as db:
            async with db.execute("PRAGMA user_version") as cur:
                row = await cur.fetchone()
            version = int(row[0]) if row else 0
            await db.execute("BEGIN IMMEDIATE")  # proves we can write, changes nothing
            await db.execute("ROLLBACK")
    except aiosqlite.Error as exc:
        return Item(False, f"database {path}: not writable ({exc})")
    return schema_item(str(path), version)


async def check_postgres(url: str) -> Item:
    """Connects and reads the schema version and this user's rights; writes nothing."""
    where = safe_url(url)
    try:
        version, writable = await look(url)
    except DatabaseUnusable as exc:
        return Item(False, f"database {exc.message}")
    if not writable:
        return Item(False, f"database {where}: connected, but this user may not write its tables")
    return schema_item(where, version)


async def migrate_postgres(url: str) -> Item:
    """``--migrate``: connects, migrates as ``run`` would, and proves it can write."""
    try:
        store = await Store.open(url)
    except DatabaseUnusable as exc:
        return Item(False, f"database {exc.message}")
    try:
        writable = await store.healthy()
        version = await store.schema_version()
    finally:
        await store.close()
    where = safe_url(url)
    if not writable:
        return Item(False, f"database {where}: connected, but a write did not go through")
    return Item(True, f"database {where}: writable, migrated to schema version {version}")


async def run_checks(
    settings: Settings,
    slack: AsyncWebClient,
    providers: Mapping[str, Provider],
    migrate: bool = False,
) -> list[Item]:
    items = [Item(True, f"config: {len(providers)} providers ({', '.join(providers)})")]
    items.append(mode_item(settings))
    items += await check_slack(slack, needed_scopes(settings, providers))
    if settings.env.slack_app_token is not None:
        items.append(await check_app_token(slack, settings.env.slack_app_token.get_secret_value()))
    for name, provider in providers.items():
        items += await check_provider(name, provider)
    if settings.routes:
        items += await routes_items(settings, providers)
    items.append(await check_database(settings.env.ticketbot_db, migrate))
    return items


async def routes_items(settings: Settings, providers: Mapping[str, Provider]) -> list[Item]:
    """The routes' defaults against their providers' forms."""
    problems, unchecked = await check_routes(settings.routes, providers)
    items = [Item(False, problem.message) for problem in problems]
    items += [
        Item(
            True,
            f"routes: {name}'s form could not be read, so its defaults were not checked",
            warn=True,
        )
        for name in unchecked
    ]
    if not problems:
        channels = sum(len(route.channels) for route in settings.routes)
        items.append(Item(True, f"routes: {len(settings.routes)} routes over {channels} channels"))
    return items
