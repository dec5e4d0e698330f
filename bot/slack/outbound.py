"""What the bot sends to Slack leaves through here: redacted, and only to Slack.

* ``SlackOrigins``: Slack's own hosts, the only places the bot token may go: the origin of
  ``SLACK_API_URL`` (``https://slack.com`` by default) and Slack's file host
  (``https://files.slack.com``).
* ``slack_only``: a middleware for the Slack session; a request (a redirect's included) to any
  other host is refused before it leaves, and an answer is read at most ``cap`` bytes.
* ``redacting``: a middleware for the Slack session; every request body is redacted first,
  and loses the characters that hide or reorder text (``strip_invisible_json``).
* ``ResponseUrls``: posts to a request's ``response_url``, and only when that URL is Slack's
  (``https://hooks.slack.com/…``, or the origin of ``SLACK_API_URL`` where one is set, for a
  stand-in or proxy): a URL from a payload is data, and the bot must not be made to POST
  wherever a payload says.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.redact import Redactor
from bot.safe_http import origin
from bot.slack.views.text import strip_invisible_json

log = logging.getLogger(__name__)
SLACK_API = "https://slack.com"
SLACK_FILES = "https://files.slack.com"
SLACK_HOOKS = "https://hooks.slack.com"
SLACK_ANSWER_CAP = 16 * 1_048_576  # NOTE: a 1,000-message history page of 40 KB texts fits


class SlackOrigins:
    """Slack's hosts for this process: the Web API's (``SLACK_API_URL``'s origin, for a
    stand-in or proxy), the file host's, and the one ``response_url`` posts go to."""

    def __init__(self, slack_api_url: str | None = None) -> None:
        api = origin(slack_api_url) if slack_api_url else None
        self.api = api or SLACK_API
        self.files = frozenset({SLACK_FILES, self.api})
        self.hooks = frozenset({SLACK_HOOKS, self.api})
        self.all = self.files | self.hooks

    def serves_files(self, url: str) -> bool:
        """Whether ``url`` is on Slack's file host (where the token may fetch a file)."""
        return origin(url) in self.files

    def takes_responses(self, url: str) -> bool:
        return origin(url) in self.hooks


class NotSlack(aiohttp.ClientError):
    """A request on the Slack session was headed for a host that is not Slack's."""


class AnswerTooBig(aiohttp.ClientError):
    """Slack's answer passed the session's cap; the rest was not read."""


def slack_only(origins: SlackOrigins, cap: int = SLACK_ANSWER_CAP) -> aiohttp.ClientMiddlewareType:
    """An aiohttp client middleware: requests only to Slack's hosts, answers read at most
    ``cap`` bytes.

    NOTE: aiohttp runs session middlewares again for each redirect it follows (``client.py``,
    the request loop), so a redirect elsewhere is refused here too, token or not.
    """

    async def guard(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        if origin(str(request.url)) not in origins.all:
            log.warning("refused a Slack-session request to a host that is not Slack's")
            raise NotSlack(f"not a Slack host: {request.url.host}")
        response = await handler(request)
        declared = response.content_length
        if declared is not None and declared > cap:
            response.close()
            raise AnswerTooBig(f"Slack's answer declares {declared} bytes, over {cap}")
        chunks: list[bytes] = []
        got = 0
        async for chunk in response.content.iter_any():
            got += len(chunk)
            if got > cap:
                response.close()
                raise AnswerTooBig(f"Slack's answer passed {cap} bytes")
            chunks.append(chunk)
        # NOTE: the body is read here, under the cap; ``read()`` (slack_sdk's json()/text())
        # returns ``_body`` once it is set instead of reading the stream again.
        response._body = b"".join(chunks)
        return response

    return guard


def redacting(redactor: Redactor) -> aiohttp.ClientMiddlewareType:
    """An aiohttp client middleware: the body of every request on the session, redacted.

    NOTE: on the session, not on a client class: bolt builds a new ``AsyncWebClient`` for
    every request (slack_bolt 1.15+, ``AsyncApp._init_context``), sharing only the session.
    """

    async def redact_body(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        body = request.body
        if isinstance(body, aiohttp.payload.BytesPayload):
            try:
                text = body.decode()
            except UnicodeDecodeError:
                text = None  # a binary upload: nothing the bot wrote
            if text is not None:
                clean = redactor.text(text) if redactor else text
                clean = strip_invisible_json(clean) or clean  # NOTE: every post, one place
                if clean != text:
                    await request.update_body(clean.encode())
        return await handler(request)

    return redact_body


class ResponseUrls:
    """Ephemeral answers through a request's ``response_url``, to Slack's hosts only."""

    def __init__(
        self, session: aiohttp.ClientSession | None = None, origins: SlackOrigins | None = None
    ) -> None:
        self._session = session  # NOTE: the Slack session, whose middleware redacts
        self._origins = origins or SlackOrigins()

    def is_slacks(self, url: str | None) -> bool:
        return bool(url) and self._origins.takes_responses(str(url))

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
