"""What the bot sends to Slack leaves through here: redacted, and only to Slack.

* ``redacting``: a middleware for the Slack session; every request body is redacted first.
* ``ResponseUrls``: posts to a request's ``response_url``, and only when that URL is Slack's
  (``https://hooks.slack.com/…``, or the origin of ``SLACK_API_URL`` where one is set, for a
  stand-in or proxy): a URL from a payload is data, and the bot must not be made to POST
  wherever a payload says.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.redact import Redactor

log = logging.getLogger(__name__)
SLACK_HOOKS = "https://hooks.slack.com"


def redacting(redactor: Redactor) -> aiohttp.ClientMiddlewareType:
    """An aiohttp client middleware: the body of every request on the session, redacted.

    NOTE: on the session, not on a client class: bolt builds a new ``AsyncWebClient`` for
    every request (slack_bolt 1.15+, ``AsyncApp._init_context``), sharing only the session.
    """

    async def redact_body(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        body = request.body
        if redactor and isinstance(body, aiohttp.payload.BytesPayload):
            try:
                text = body.decode()
            except UnicodeDecodeError:
                text = None  # a binary upload: nothing the bot wrote
            if text is not None and (clean := redactor.text(text)) != text:
                await request.update_body(clean.encode())
        return await handler(request)

    return redact_body


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, lower-cased; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        return None
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")


class ResponseUrls:
    """Ephemeral answers through a request's ``response_url``, to Slack's hosts only."""

    def __init__(
        self, session: aiohttp.ClientSession | None = None, slack_api_url: str | None = None
    ) -> None:
        self._session = session  # NOTE: the Slack session, whose middleware redacts
        allowed = {SLACK_HOOKS}
        if slack_api_url and (extra := origin(slack_api_url)):
            allowed.add(extra)
        self._allowed = frozenset(allowed)

    def is_slacks(self, url: str | None) -> bool:
        return bool(url) and origin(str(url)) in self._allowed

    async def send(self, url: str | None, **message: Any) -> bool:
        """Post ``message`` (text, blocks, response_type…) to ``url``; False if refused or
        not delivered."""
        if not url or not self.is_slacks(url):
            if url:
                log.warning("refused a response_url that is not Slack's")
            return False
        webhook = AsyncWebhookClient(url, session=self._session)
        response = await webhook.send_dict(message)
        return response.status_code == 200
