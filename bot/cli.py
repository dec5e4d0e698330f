"""``ticketbot run``: start the bot (Socket Mode with SLACK_APP_TOKEN, else HTTP)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys
from typing import Any

import aiohttp
import httpx
from aiohttp import web
from slack_sdk.errors import SlackApiError

from bot import __version__
from bot.check import run_checks
from bot.compose import Bot, compose, slack_client
from bot.domain.errors import ConfigError, ConfigErrors
from bot.links_cli import LinksFailure, run_links
from bot.logs import setup_logging
from bot.manifest import manifest_settings, manifest_text
from bot.providers.registry import build_provider
from bot.redact import Redactor
from bot.runtime import running
from bot.settings import Settings, load_settings
from bot.slack.app import build_app
from bot.slack.server import Operations, SlackProbe, build_ops_app, build_web_app
from bot.slack.socket_mode import SocketMode, checked
from bot.store.postgres import safe_url
from bot.tickets.routing import check_routes

log = logging.getLogger("bot")


async def serve(settings: Settings) -> None:
    """Serve HTTP first (``/healthz`` answers at once), connect to Slack second, and run until
    SIGTERM/SIGINT (at any moment, connecting included); then stop taking requests and close
    cleanly. A token Slack refuses, a port in use or a database held by another process ends
    it with ``ConfigError`` (one line, exit 2)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if settings.env.slack_signing_secret_previous is not None:
        log.warning(
            "SLACK_SIGNING_SECRET_PREVIOUS is set: requests and buttons signed with the previous "
            "secret are still accepted; unset it when the rotation's grace period is over"
        )
    async with compose(settings, exclusive=True) as bot:
        await check_routes_at_start(bot)
        async with running(bot):
            await _serve(settings, bot, stop)


async def check_routes_at_start(bot: Bot) -> None:
    """A route default the provider's form does not take is a config error (exit 2); a form
    the provider does not give now is checked whenever it is shown."""
    problems, unchecked = await check_routes(bot.settings.routes, bot.providers)
    if problems:
        raise ConfigErrors(problems)
    for name in unchecked:
        log.warning(
            "route defaults not checked: the provider did not give its form",
            extra={"provider": name},
        )


async def _serve(settings: Settings, bot: Bot, stop: asyncio.Event) -> None:
    """Listen, connect to Slack, and run until ``stop``."""
    env = settings.env
    app = build_app(bot.context)
    socket = (
        SocketMode(app, env.slack_app_token.get_secret_value(), bot.redactor.text)
        if env.slack_app_token
        else None
    )
    health = socket.health if socket else SlackProbe(bot.slack)
    operations = Operations(bot.context, health)
    one_port = env.metrics_port == env.port
    runner = web.AppRunner(
        build_web_app(app, bot.context, operations=operations, with_metrics=one_port),
        access_log=None,
    )
    await runner.setup()
    ops_runner = None if one_port else web.AppRunner(build_ops_app(operations), access_log=None)
    if ops_runner is not None:
        await ops_runner.setup()
    # NOTE: what exists now (modules, clients, the app) lives as long as the process; frozen,
    # the collector stops walking it (see docs/benchmark.md, "collector pauses").
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, *gc.get_threshold()[1:])  # NOTE: see docs/benchmark.md
    try:
        await listen(runner, env.host, env.port, "PORT")
        metrics_at = (
            await listen(ops_runner, env.host, env.metrics_port, "METRICS_PORT")
            if ops_runner is not None
            else env.port
        )
    except ConfigError:
        await runner.cleanup()
        if ops_runner is not None:
            await ops_runner.cleanup()
        raise
    log.info(
        "ticketbot started",
        extra={
            "mode": "socket" if socket else "http",
            "version": __version__,
            "listen": f"{env.host}:{env.port}",
            "metrics": f"{env.host}:{metrics_at}",
            "providers": sorted(settings.providers),
            "database": safe_url(env.ticketbot_db),
        },
    )
    slack = asyncio.ensure_future(socket.connect() if socket else check_bot_token(bot))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        pending: set[asyncio.Future[Any]] = {slack, stopping}
        while stopping in pending:
            _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if slack.done() and not slack.cancelled() and (failure := slack.exception()):
                raise failure
    finally:
        slack.cancel()
        stopping.cancel()
        log.info("shutting down: no new requests, finishing in-flight work")
        if socket is not None:
            await socket.close()
        await runner.cleanup()  # stop listening; `running` then drains in-flight work
        if ops_runner is not None:
            await ops_runner.cleanup()


async def listen(runner: web.AppRunner, host: str, port: int, key: str) -> int:
    """Serve ``runner`` on ``host:port``; the port it got (``0``: any free one). A port in
    use is a ``ConfigError`` naming ``key``."""
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        raise ConfigError(
            key,
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); stop what uses it, or "
            f"set {key} to a free port",
        ) from None
    server = site._server  # NOTE: aiohttp keeps the bound sockets there, and nowhere public
    sockets = getattr(server, "sockets", None) or ()
    return int(sockets[0].getsockname()[1]) if sockets else port


async def check_bot_token(bot: Bot) -> None:
    """HTTP mode: a bot token Slack refuses is final; Slack unreachable is ``/healthz``'s."""
    with contextlib.suppress(SlackApiError, aiohttp.ClientError, OSError, TimeoutError):
        await checked("SLACK_BOT_TOKEN", bot.slack.auth_test())


def say(message: str) -> None:
    """One line per problem on stderr, each marked as ticketbot's."""
    for line in message.splitlines():
        print(f"ticketbot: {line}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ticketbot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ticketbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot")
    run.add_argument(
        "--log-format",
        choices=("json", "text"),
        help="log lines as JSON (default) or human-readable text",
    )
    sub.add_parser(
        "check", help="check the token, scopes, providers and database (changes nothing)"
    ).add_argument(
        "--migrate",
        action="store_true",
        help="also apply the database migrations this release needs (as `run` would)",
    )
    sub.add_parser("manifest", help="print the Slack app manifest for this configuration")
    links = sub.add_parser("links", help="bulk requester links").add_subparsers(
        dest="action", required=True
    )
    links.add_parser(
        "import", help="add links from a CSV: slack user id or e-mail, provider, requester id"
    ).add_argument("file")
    links.add_parser("export", help="print every link as CSV")
    links.add_parser("forget", help="delete every link of a Slack user (offboarding)").add_argument(
        "user"
    )
    args = parser.parse_args(argv)
    try:
        settings = manifest_settings() if args.command == "manifest" else load_settings()
    except ConfigError as exc:
        say(exc.message)
        return 2
    setup_logging(
        getattr(args, "log_format", None) or settings.env.log_format,
        redactor=Redactor.of(settings),
    )
    try:
        if args.command == "run":
            asyncio.run(serve(settings))
            return 0
        if args.command == "check":
            return asyncio.run(check_command(settings, migrate=args.migrate))
        if args.command == "manifest":
            text, warnings = manifest_text(settings)
            print(text, end="")
            for warning in warnings:
                say(warning)
            return 0
        return asyncio.run(
            links_command(
                settings, args.action, getattr(args, "file", None) or getattr(args, "user", None)
            )
        )
    except ConfigError as exc:  # the database, found wrong at start
        say(exc.message)
        return 2


async def check_command(settings: Settings, migrate: bool = False) -> int:
    # NOTE: no Store.open here: a check must not create or migrate the database unless asked.
    http = httpx.AsyncClient()
    try:
        providers = {name: build_provider(cfg, http) for name, cfg in settings.providers.items()}
        items = await run_checks(settings, slack_client(settings), providers, migrate)
    finally:
        await http.aclose()
    redact = Redactor.of(settings).text
    for item in items:
        print(redact(item.line()))
    return 0 if all(item.ok for item in items) else 1


LINKS_DRAIN_SECONDS = 5.0


async def links_command(settings: Settings, action: str, arg: str | None) -> int:
    async with compose(settings) as bot:
        try:
            return await run_links(bot, action, arg)
        except LinksFailure as exc:
            say(exc.message)
            return exc.code
        finally:
            # NOTE: a notice to admins (a provider's feature found missing) is finished, not
            # cut off after its once-a-day mark was taken
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(bot.jobs.wait_running(), LINKS_DRAIN_SECONDS)
