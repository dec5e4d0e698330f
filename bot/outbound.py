"""What the bot sends to Slack leaves through here: redacted, and only to Slack.

* ``RedactingWebClient``: the Web API client; every argument of every call is redacted first.
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
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.redact import Redactor

log = logging.getLogger(__name__)
SLACK_HOOKS = "https://hooks.slack.com"


class RedactingWebClient(AsyncWebClient):
    """An ``AsyncWebClient`` that redacts known secrets from everything it sends."""

    def __init__(self, *args: Any, redactor: Redactor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.redactor = redactor

    async def api_call(
        self, api_method: str, *, json: dict[str, Any] | None = None, **kwargs: Any
    ) -> AsyncSlackResponse:
        redact = self.redactor.value
        for key in ("data", "params"):
            if isinstance(kwargs.get(key), dict):
                kwargs[key] = redact(kwargs[key])
        response = await super().api_call(
            api_method, json=redact(json) if json is not None else None, **kwargs
        )
        assert isinstance(response, AsyncSlackResponse)
        return response


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
        self,
        redactor: Redactor,
        session: aiohttp.ClientSession | None = None,
        slack_api_url: str | None = None,
    ) -> None:
        self._redactor = redactor
        self._session = session
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
        response = await webhook.send_dict(self._redactor.value(message))
        return response.status_code == 200
