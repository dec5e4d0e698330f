"""The HTTP server: ``POST /slack/events`` for every Slack request, ``GET /healthz`` and
``GET /metrics``."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.logs import new_request_id

EVENTS_PATH = "/slack/events"
log = logging.getLogger(__name__)


class SlackProbe:
    """Whether Slack answers: ``auth.test`` at most every 30 s, 2 s to answer."""

    def __init__(self, client: AsyncWebClient, every: float = 30.0) -> None:
        self._client = client
        self._every = every
        self._checked = -every
        self._ok = True

    async def __call__(self) -> bool:
        if time.monotonic() - self._checked >= self._every:
            try:
                await asyncio.wait_for(self._client.auth_test(), timeout=2.0)
                self._ok = True
            except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError):
                self._ok = False
            self._checked = time.monotonic()
        return self._ok


def request_kind(body: Mapping[str, Any]) -> str:
    """command, view_submission, block_actions, message_action, event, …: for metrics/logs.

    ``body`` is what bolt already parsed (parsing the request again cost a tenth of an ack).
    """
    if "command" in body:
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        return "event"
    return kind if isinstance(kind, str) and kind else "unknown"


def build_web_app(
    app: AsyncApp, deps: Deps, slack_ok: Callable[[], Awaitable[bool]] | None = None
) -> web.Application:
    metrics = deps.metrics

    async def handle_slack_events(request: web.Request) -> web.Response:
        started = time.perf_counter()
        rid = new_request_id()
        bolt_request = await to_bolt_request(request)
        kind = request_kind(bolt_request.body)
        # NOTE: bolt verifies X-Slack-Signature and the 5-minute timestamp window itself.
        with deps.lane.answering():  # deferred background jobs give way meanwhile
            response = await to_aiohttp_response(await app.async_dispatch(bolt_request))
        seconds = time.perf_counter() - started
        metrics.acked(kind, seconds)
        if log.isEnabledFor(logging.DEBUG):  # NOTE: not even the extra dict on every ack
            log.debug(
                "acked",
                extra={
                    "kind": kind,
                    "status": response.status,
                    "seconds": round(seconds, 4),
                    "request_id": rid,
                },
            )
        return response

    async def handle_healthz(_: web.Request) -> web.Response:
        checks = {
            "database": await deps.store.healthy(),
            "slack": await slack_ok() if slack_ok else True,
        }
        status = 200 if all(checks.values()) else 503
        return web.json_response({"ok": status == 200, **checks}, status=status)

    async def handle_metrics(_: web.Request) -> web.Response:
        metrics.retries_pending.set(await deps.store.count_retrying())
        metrics.jobs_waiting.set(deps.lane.queued)
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post(EVENTS_PATH, handle_slack_events)
    web_app.router.add_get("/healthz", handle_healthz)
    web_app.router.add_get("/metrics", handle_metrics)
    return web_app
