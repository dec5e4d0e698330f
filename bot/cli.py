"""``ticketbot run``: start the bot (Socket Mode with SLACK_APP_TOKEN, else HTTP)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable

import httpx
from aiohttp import web

from bot.app import build_app
from bot.check import run_checks
from bot.deps import open_deps, slack_client
from bot.errors import ConfigError
from bot.links_cli import run_links
from bot.logs import setup_logging
from bot.providers import build_provider
from bot.redact import Redactor
from bot.runtime import running
from bot.server import SlackProbe, build_web_app
from bot.settings import Settings, load_settings

log = logging.getLogger("bot")


async def serve(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT, then stop taking requests and close cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with open_deps(settings) as deps, running(deps):
        app = build_app(deps)
        socket_handler = None
        slack_ok: Callable[[], Awaitable[bool]] = SlackProbe(deps.slack)
        if settings.env.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            socket_handler = AsyncSocketModeHandler(
                app, settings.env.slack_app_token.get_secret_value()
            )
            await socket_handler.connect_async()  # type: ignore[no-untyped-call]
            slack_ok = socket_handler.client.is_connected
            log.info("connected to Slack in Socket Mode")
        runner = web.AppRunner(build_web_app(app, deps, slack_ok), access_log=None)
        await runner.setup()
        # NOTE: what exists now (modules, clients, the app) lives as long as the process; frozen,
        # the collector stops walking it, and a full collection under load drops from ~100 ms
        # (a stall every in-flight ack would wait out) to a few.
        gc.collect()
        gc.freeze()
        # NOTE: an ack makes a few hundred short-lived objects; collecting the young every 700
        # allocations (the default) promoted many before they died. Every 10,000: collector
        # time per submission ack 23-47 -> 5-7 µs (in process, 2 rounds of 2,000 acks).
        gc.set_threshold(10_000, *gc.get_threshold()[1:])
        await web.TCPSite(runner, settings.env.host, settings.env.port).start()
        log.info(
            "ticketbot listening",
            extra={"port": settings.env.port, "providers": sorted(settings.providers)},
        )
        await stop.wait()
        log.info("shutting down: no new requests, finishing in-flight work")
        if socket_handler is not None:
            await socket_handler.close_async()  # type: ignore[no-untyped-call]
        await runner.cleanup()  # stop listening; `running` then drains in-flight work


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ticketbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot")
    run.add_argument(
        "--log-format",
        choices=("json", "text"),
        help="log lines as JSON (default) or human-readable text",
    )
    sub.add_parser("check", help="check the token, scopes, providers and database")
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
        settings = load_settings()
    except ConfigError as exc:
        print(f"ticketbot: {exc.message}", file=sys.stderr)
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
            return asyncio.run(check_command(settings))
        return asyncio.run(
            links_command(
                settings, args.action, getattr(args, "file", None) or getattr(args, "user", None)
            )
        )
    except ConfigError as exc:  # the database, found wrong at start
        print(f"ticketbot: {exc.message}", file=sys.stderr)
        return 2


async def check_command(settings: Settings) -> int:
    # NOTE: no Store.open here: a check must not create or migrate the database.
    http = httpx.AsyncClient()
    try:
        providers = {name: build_provider(cfg, http) for name, cfg in settings.providers.items()}
        items = await run_checks(settings, slack_client(settings), providers)
    finally:
        await http.aclose()
    redact = Redactor.of(settings).text
    for item in items:
        print(redact(item.line()))
    return 0 if all(item.ok for item in items) else 1


async def links_command(settings: Settings, action: str, arg: str | None) -> int:
    async with open_deps(settings) as deps:
        return await run_links(deps, action, arg)
