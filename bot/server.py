"""The HTTP server: ``POST /slack/events`` for every Slack request, ``GET /healthz``."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.deps import Deps

EVENTS_PATH = "/slack/events"


def build_web_app(app: AsyncApp, deps: Deps) -> web.Application:
    async def handle_slack_events(request: web.Request) -> web.Response:
        # NOTE: bolt verifies X-Slack-Signature and the 5-minute timestamp window itself.
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def handle_healthz(_: web.Request) -> web.Response:
        if not await deps.store.healthy():
            return web.json_response({"ok": False, "database": "unavailable"}, status=503)
        return web.json_response({"ok": True})

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post(EVENTS_PATH, handle_slack_events)
    web_app.router.add_get("/healthz", handle_healthz)
    return web_app
