"""The HTTP servers. The public one: ``POST /slack/events`` for every Slack request,
``GET /healthz`` (readiness: the database and Slack) and ``GET /livez`` (liveness: the event
loop answers; a database or Slack outage is readiness's, since a restart cannot fix it). The
operations one (``METRICS_PORT``): ``GET /metrics`` and the same two health checks; with
``METRICS_PORT`` equal to ``PORT`` the public one serves ``/metrics`` too.

Verify first: a request's signature is checked on its raw bytes before anything parses the
body, and a request that fails it is answered 401 with an empty body; no listener, middleware
or error handler ever sees it. A signed body that does not parse is a 400 and one log line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import new_request_id
from bot.slack.budget import BODY_BYTES, RECEIVED
from bot.slack.context import SlackContext
from bot.slack.shapes import is_event_envelope, refusal, unhandled_status
from bot.slack.triage import skippable
from bot.slack.verify import RequestVerifier

EVENTS_PATH = "/slack/events"
BIG_BODY = 64 * 1024  # bytes past which a body is parsed in a worker thread
log = logging.getLogger(__name__)


Health = Callable[[], Awaitable[tuple[bool, str | None]]]  # up, and why not
DATABASE_CHECK_SECONDS = 5.0


class DatabaseProbe:
    """Whether the database takes writes, for ``/healthz``: a success is trusted for
    ``every`` seconds, so health checks take the write lock at most once per ``every`` (a
    failed check takes no lock: that is why it failed); callers arriving while a check runs
    share its answer instead of queueing their own."""

    def __init__(self, healthy: Callable[[], Awaitable[bool]], every: float) -> None:
        self._healthy = healthy
        self._every = every
        self._ok_until = float("-inf")
        self._running: asyncio.Future[bool] | None = None

    async def __call__(self) -> bool:
        if time.monotonic() < self._ok_until:
            return True
        if self._running is None:
            self._running = asyncio.ensure_future(self._check())
        return await asyncio.shield(self._running)

    async def _check(self) -> bool:
        try:
            ok = await self._healthy()
            if ok:
                self._ok_until = time.monotonic() + self._every
            return ok
        finally:
            self._running = None


class SlackProbe:
    """Whether Slack answers (HTTP mode): ``auth.test`` at most every 30 s, 2 s to answer."""

    def __init__(self, client: AsyncWebClient, every: float = 30.0) -> None:
        self._client = client
        self._every = every
        self._checked = -every
        self._health: tuple[bool, str | None] = (True, None)

    async def __call__(self) -> tuple[bool, str | None]:
        if time.monotonic() - self._checked >= self._every:
            try:
                await asyncio.wait_for(self._client.auth_test(), timeout=2.0)
                self._health = (True, None)
            except SlackApiError as exc:
                self._health = (False, f"Slack answered {exc.response.get('error')}")
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                self._health = (False, f"cannot reach Slack ({type(exc).__name__})")
            self._checked = time.monotonic()
        return self._health


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


def parse_request(
    raw: bytes, request: web.Request, received: float | None = None
) -> AsyncBoltRequest | None:
    """The verified body as bolt's request, or None if it is not UTF-8 text of the shape
    Slack sends (a form, a form with a JSON ``payload``, or a JSON object). ``received``:
    when it arrived (``time.monotonic()``), where the ack budget starts."""
    try:
        bolt_request = AsyncBoltRequest(
            body=raw.decode("utf-8"),
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
            context={
                RECEIVED: received if received is not None else time.monotonic(),
                BODY_BYTES: len(raw),
            },
        )
    except (ValueError, TypeError, AttributeError, LookupError, RecursionError):
        # NOTE: JSON errors are ValueErrors; a JSON list fails on .get; bolt's context reads
        # (``authorizations[0]``, ``team.id``) fail on fields of another shape
        return None
    return bolt_request if isinstance(bolt_request.body, dict) and bolt_request.body else None


class Operations:
    """The health checks and ``/metrics``: the handlers both servers share."""

    def __init__(self, deps: SlackContext, slack_ok: Health | None) -> None:
        self._deps = deps
        self._slack_ok = slack_ok
        self._database = DatabaseProbe(deps.database_ok, DATABASE_CHECK_SECONDS)

    async def handle_healthz(self, _: web.Request) -> web.Response:
        slack, why = await self._slack_ok() if self._slack_ok else (True, None)
        checks = {"database": await self._database(), "slack": slack}
        status = 200 if all(checks.values()) else 503
        body: dict[str, object] = {"ok": status == 200, **checks}
        if why:
            body["reason"] = why
        return web.json_response(body, status=status)

    async def handle_livez(self, _: web.Request) -> web.Response:
        """Liveness: the event loop answers. The database and Slack are left out: their
        outage must not make an orchestrator restart every replica, which cannot fix it
        (``/healthz``, readiness, includes both)."""
        return web.json_response({"ok": True})

    async def handle_metrics(self, _: web.Request) -> web.Response:
        deps = self._deps
        try:
            deps.metrics.retries_pending.set(await deps.filing.count_retrying())
        except Exception as exc:  # NOTE: scraped in an outage too: the last count stands
            if not deps.filing.database_away(exc):
                raise
        deps.metrics.jobs_waiting.set(deps.lane.queued)
        deps.metrics.tasks.set(len(asyncio.all_tasks()))
        return web.Response(
            body=deps.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    def add_health(self, web_app: web.Application) -> None:
        web_app.router.add_get("/healthz", self.handle_healthz)
        web_app.router.add_get("/livez", self.handle_livez)

    def add_metrics(self, web_app: web.Application) -> None:
        web_app.router.add_get("/metrics", self.handle_metrics)


def build_ops_app(operations: Operations) -> web.Application:
    """The operations server (``METRICS_PORT``): ``/metrics``, ``/healthz``, ``/livez``."""
    web_app = web.Application(client_max_size=1024)
    operations.add_health(web_app)
    operations.add_metrics(web_app)
    return web_app


def build_web_app(
    app: AsyncApp,
    deps: SlackContext,
    slack_ok: Health | None = None,
    *,
    operations: Operations | None = None,
    with_metrics: bool = True,
) -> web.Application:
    """The public server; ``with_metrics``: it serves ``/metrics`` too (one port for all)."""
    metrics = deps.metrics
    operations = operations or Operations(deps, slack_ok)
    verifier = RequestVerifier(deps.signing_secrets)
    redact = deps.redactor.text

    async def handle_slack_events(request: web.Request) -> web.Response:
        started, received = time.perf_counter(), time.monotonic()
        raw = await request.read()
        if not verifier.verify(raw, request.headers):
            metrics.refused.inc()
            return web.Response(status=401)
        if len(raw) <= BIG_BODY and skippable(raw):  # chatter: answered now, bolt never sees it
            metrics.acked("event_skipped", time.perf_counter() - started)
            return web.Response()
        rid = new_request_id()
        if len(raw) > BIG_BODY:
            # NOTE: a form-encoded shortcut on a 40,000-character message takes bolt ~75 ms
            # to parse: off the event loop, which keeps answering meanwhile
            bolt_request = await asyncio.to_thread(parse_request, raw, request, received)
        else:
            bolt_request = parse_request(raw, request, received)
        if bolt_request is None:
            log.warning("signed request with a body that does not parse", extra={"bytes": len(raw)})
            return web.Response(status=200 if is_event_envelope(raw) else 400)
        if (status := refusal(bolt_request.body)) is not None:
            return web.Response(status=status)
        kind = request_kind(bolt_request.body)
        with deps.lane.answering():  # deferred background jobs give way meanwhile
            bolt_response = await app.async_dispatch(bolt_request)
        if bolt_response.status == 404:  # NOTE: bolt's "unhandled request": no listener for it
            bolt_response.status, bolt_response.body = unhandled_status(bolt_request.body), ""
        bolt_response.body = redact(bolt_response.body)  # inline errors may quote a provider
        response = await to_aiohttp_response(bolt_response)
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

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post(EVENTS_PATH, handle_slack_events)
    operations.add_health(web_app)
    if with_metrics:
        operations.add_metrics(web_app)
    return web_app
