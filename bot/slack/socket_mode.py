"""Socket Mode, connected in the background: the bot serves HTTP (``/healthz``) first, and a
stop signal ends it at any moment, connecting included.

A token Slack refuses is final (``TokenRefused``: one line naming the variable, exit 2); a
network failure is retried with backoff, one short log line per try. Once connected, the SDK
keeps the connection (it reconnects on ``refresh_requested`` and on a dropped socket).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.domain.errors import ConfigError
from bot.slack.shapes import refusal

log = logging.getLogger(__name__)
T = TypeVar("T")

# NOTE: errors of apps.connections.open and auth.test that no retry can mend
# (api.slack.com/methods/apps.connections.open#errors, /methods/auth.test#errors).
REFUSED = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "not_allowed_token_type",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "ekm_access_denied",
        "team_access_not_granted",
    }
)
WHAT_TO_DO = {
    "SLACK_APP_TOKEN": "create an app-level token with connections:write (Basic Information → "
    "App-Level Tokens), put it in SLACK_APP_TOKEN, or unset it for HTTP mode",
    "SLACK_BOT_TOKEN": "reinstall the app and copy its Bot User OAuth Token (xoxb-…) into "
    "SLACK_BOT_TOKEN",
}
CONNECT_SECONDS = 15.0
FIRST_DELAY, MAX_DELAY = 1.0, 30.0


class TokenRefused(ConfigError):
    """Slack refused a token: no retry will help."""

    def __init__(self, variable: str, error: str) -> None:
        super().__init__(variable, f"Slack refused it ({error}); {WHAT_TO_DO[variable]}")


def refused(variable: str, exc: SlackApiError) -> TokenRefused | None:
    error = str(exc.response.get("error"))
    return TokenRefused(variable, error) if error in REFUSED else None


class Handler(AsyncSocketModeHandler):
    """bolt's handler, with the HTTP path's rules: a payload that is not a JSON object is not
    handled (one log line), and the ack's body is redacted like an HTTP ack's."""

    def __init__(self, app: AsyncApp, app_token: str, redact: Callable[[str], str]) -> None:
        super().__init__(app, app_token)
        self._redact = redact

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        if not isinstance(req.payload, dict) or not req.payload:
            log.warning(
                "Socket Mode envelope whose payload is not an object", extra={"type": req.type}
            )
            return
        started = time.time()
        if refusal(req.payload) is not None:  # NOTE: acked, not handled (bot.slack.shapes)
            await send_async_response(client, req, BoltResponse(status=200, body=""), started)
            return
        response: BoltResponse = await run_async_bolt_app(self.app, req)
        response.body = self._redact(response.body)
        await send_async_response(client, req, response, started)


class SocketMode:
    """One Socket Mode connection for ``app``; ``health()`` says whether it is up, and why not."""

    def __init__(self, app: AsyncApp, app_token: str, redact: Callable[[str], str]) -> None:
        self.handler = Handler(app, app_token, redact)
        self.handler.client.logger.addFilter(OneLineSdkErrors())
        self._token = app_token
        self.reason: str | None = "connecting to Slack (Socket Mode)"

    async def health(self) -> tuple[bool, str | None]:
        up = bool(await self.handler.client.is_connected())
        return up, None if up else self.reason

    async def connect(self) -> None:
        """Until connected; raises ``TokenRefused`` for a token Slack will never take."""
        client = self.handler.client
        delay, attempt = FIRST_DELAY, 0
        while True:
            attempt += 1
            try:
                await checked("SLACK_BOT_TOKEN", client.web_client.auth_test())
                opened = await checked(
                    "SLACK_APP_TOKEN",
                    client.web_client.apps_connections_open(app_token=self._token),
                )
                client.wss_uri = str(opened["url"])
                await asyncio.wait_for(client.connect(), CONNECT_SECONDS)  # type: ignore[no-untyped-call]
                if await client.is_connected():
                    self.reason = None
                    log.info("connected to Slack in Socket Mode", extra={"attempt": attempt})
                    return
                why = "the Socket Mode connection did not open"
            except SlackApiError as exc:
                why = f"Slack answered {exc.response.get('error')}"
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                why = f"cannot reach Slack ({type(exc).__name__})"
            self.reason = f"{why}; try {attempt}, next in {delay:.0f}s"
            log.warning("not connected to Slack yet", extra={"reason": why, "retry_in": delay})
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)

    async def close(self) -> None:
        await self.handler.close_async()  # type: ignore[no-untyped-call]


async def checked(variable: str, call: Awaitable[T]) -> T:
    """``call``'s answer; ``TokenRefused`` naming ``variable`` when Slack refuses its token."""
    try:
        return await call
    except SlackApiError as exc:
        if fatal := refused(variable, exc):
            raise fatal from None
        raise


class OneLineSdkErrors(logging.Filter):
    """On the SDK's logger: its "Failed to connect … Retrying…" and "Failed to run message
    listeners: …" (an envelope it cannot read) as one line, without the traceback (the
    message names the error; a retry is ours to report)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Failed to"):
            record.exc_info = None
            record.exc_text = None
            if "connect" in str(record.msg).lower():
                record.levelno, record.levelname = logging.INFO, "INFO"
        return True
