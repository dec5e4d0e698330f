"""One place that turns transport failures and shared status codes into the error family.

Adapters call ``send``; it raises ``Transient`` for what time fixes and ``ProviderAuthError``
for 401/403, and returns every other response for the adapter to read in its own dialect.

Bounds: a request goes only to the origin of the provider's ``base_url`` (its key with it), a
redirect is never followed, an answer is read at most ``ANSWER_CAP`` bytes, and a whole call
(sending and reading) ends within ``DEADLINE_FACTOR`` times the provider's per-read timeout.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx

from bot.domain.errors import (
    ConfigError,
    FieldErrors,
    ProviderAuthError,
    ProviderProtocolError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    Transient,
)
from bot.providers.base import BeforeSend
from bot.safe_http import DEFAULT_MAX_BYTES, MAX_BYTES, TooBig, origin, read_capped

log = logging.getLogger(__name__)

DetailReader = Callable[[httpx.Response], str]
TransientT = TypeVar("TransientT", bound=Transient)
GATEWAY_STATUSES = frozenset({502, 503, 504})
ANSWER_CAP = DEFAULT_MAX_BYTES  # NOTE: a page of tickets is a few KB; nothing documented nears it
DEADLINE_FACTOR = 2.0  # a whole call: sending, waiting and reading, at most twice one read's
HOP_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
# NOTE: the longest wait a 429 buys (an hour): after it the provider is asked again, and holds
# again if it still wants to
MAX_RETRY_AFTER = 3600.0


def retry_after_seconds(value: str | None) -> float | None:
    """Parse ``Retry-After``: delta seconds or an HTTP date (RFC 9110 §10.2.3), at most
    ``MAX_RETRY_AFTER``: a provider's polls are held on every replica, and across restarts,
    for as long as it asks."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # NOTE: "²".isdigit() is True; float() refuses it
        return min(float(value), MAX_RETRY_AFTER)  # NOTE: 400 digits are inf as a float
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(0.0, when.timestamp() - time.time()), MAX_RETRY_AFTER)


def json_body(response: httpx.Response) -> Any:
    """The JSON body, or None when there is none or it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def token_from(body: Any) -> str | None:
    """The token of a login answer: ``token``/``accessToken``/``access_token``, top level or
    under ``data`` (NOTE: Pulse and ISPCRM do not document the login answer's shape)."""
    for scope in (body, body.get("data") if isinstance(body, dict) else None):
        if isinstance(scope, dict):
            for key in ("token", "accessToken", "access_token"):
                if isinstance(scope.get(key), str) and scope[key]:
                    return str(scope[key])
    return None


def field_errors(errors: Any, api_fields: Mapping[str, str], fallback: str) -> FieldErrors:
    """A provider's validation ``errors`` onto the form's fields.

    Reads the shapes providers use: ``{field: [messages]}`` (Laravel-style), ``[{field|path,
    message}]``, a list of strings, or one string. ``api_fields`` maps the API's field names
    (``a.b`` counts as ``a``) to form keys; anything else becomes the general message.
    """
    if isinstance(errors, dict):
        pairs = list(errors.items())
    elif isinstance(errors, list):
        pairs = [
            (e.get("field") or e.get("path"), e.get("message"))
            if isinstance(e, dict)
            else (None, e)
            for e in errors
        ]
    else:
        pairs = [(None, errors)] if errors else []
    found: dict[str, str] = {}
    general: list[str] = []
    for field, message in pairs:
        text = " ".join(map(str, message)) if isinstance(message, list) else str(message)
        key = api_fields.get(str(field).split(".")[0]) if field else None
        if key:
            found.setdefault(key, text)
        else:
            general.append(f"{field}: {text}" if field else text)
    return FieldErrors(found, " ".join(general) or (None if found else fallback))


def cause(exc: httpx.HTTPError) -> str:
    """What went wrong under a transport error, in an operator's words."""
    text = str(exc) or type(exc).__name__
    low = text.lower()
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low:
        return "DNS: the host name does not resolve"
    if "connection refused" in low or "all connection attempts failed" in low:
        return "connection refused or host unreachable"
    if "certificate" in low or "ssl" in low or "tls" in low:
        return f"TLS: {text[:120]}"
    return text[:160]


def _tried(error: TransientT, method: str, url: str, exc: httpx.HTTPError) -> TransientT:
    error.detail = f"{method} {httpx.URL(url).copy_with(query=None)}: {cause(exc)}"
    return error


class ProviderHttp:
    """A provider's view of the shared ``httpx.AsyncClient``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        title: str,
        timeout: float,
        max_connections: int,
        detail: DetailReader,
        scope_hint: str = "",
    ) -> None:
        self._client = client
        self._origin = origin(base_url)
        self._title = title
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._deadline = timeout * DEADLINE_FACTOR
        # NOTE: requests beyond this wait here, not in httpcore's pool, whose queue costs
        # O(waiting × connections) CPU on every request it hands out.
        self._in_flight = asyncio.Semaphore(max_connections)
        self._detail = detail
        self._scope_hint = scope_hint

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        params: Mapping[str, Any] | None = None,
        auth_errors: bool = True,
        before_send: BeforeSend | None = None,
    ) -> httpx.Response:
        """Send one request; map what every provider shares onto the error family.

        ``before_send``: awaited just before the request leaves, once it has a connection
        slot to leave on (the filing service marks its submission sent there; it may raise,
        and then nothing is sent).
        """
        if self._origin is None or origin(url) != self._origin:
            # NOTE: the key goes only to base_url's origin; a URL from an answer (a paging
            # link, a download) that points elsewhere is refused before anything is sent.
            raise ConfigError(
                f"providers.{self._title}",
                f"refused to send a request to {httpx.URL(url).host or url[:60]!r}: "
                "not the origin of base_url",
            )
        started = time.perf_counter()
        request = self._client.build_request(
            method,
            url,
            headers=headers,
            json=json,
            data=data,
            files=files,
            params=params,
            timeout=self._timeout,
            extensions={MAX_BYTES: ANSWER_CAP},
        )
        try:
            async with self._turn():
                if before_send is not None:
                    await before_send()
                async with asyncio.timeout(self._deadline):
                    response = await self._bounded(request)
        except TimeoutError:
            raise ProviderTimeout(
                f"{self._title} did not finish answering within {self._deadline:g} s.",
                maybe_created=method != "GET",
            ) from None
        except TooBig as exc:
            what = f"{self._title} answered with more than {exc.cap // 1_048_576} MB."
            if method == "GET":
                raise ProviderProtocolError(what, admin_detail=what) from None
            raise ProviderUnavailable(what, maybe_created=True) from None
        except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _tried(
                ProviderTimeout(
                    f"{self._title} did not accept the connection in time.", maybe_created=False
                ),
                method,
                url,
                exc,
            ) from None
        except httpx.TimeoutException as exc:
            raise _tried(
                ProviderTimeout(
                    f"{self._title} did not answer in time.", maybe_created=method != "GET"
                ),
                method,
                url,
                exc,
            ) from None
        except httpx.ConnectError as exc:
            raise _tried(
                ProviderUnavailable(f"{self._title} cannot be reached."), method, url, exc
            ) from None
        except httpx.TransportError as exc:
            # NOTE: the connection dropped mid-request; for a POST the provider may have acted.
            if method == "GET":
                error: ProviderUnavailable | ProviderTimeout = ProviderUnavailable(
                    f"{self._title} dropped the connection."
                )
            else:
                error = ProviderTimeout(
                    f"{self._title} dropped the connection before answering.", maybe_created=True
                )
            raise _tried(error, method, url, exc) from None
        finally:
            log.debug(
                "provider call",
                extra={
                    "provider": self._title,
                    "method": method,
                    "path": httpx.URL(url).path,
                    "seconds": round(time.perf_counter() - started, 4),
                },
            )
        status = response.status_code
        if status == 429:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            raise RateLimited(f"{self._title} is rate limiting us.", retry_after=wait)
        if status in GATEWAY_STATUSES and method != "GET":
            # NOTE: a gateway's answer says nothing of what the server behind it did with the
            # request: the ticket may exist (RFC 9110 §15.6.3-5). As ambiguous as a timeout.
            raise ProviderUnavailable(
                f"{self._title} answered HTTP {status} through a gateway.", maybe_created=True
            )
        if status >= 500:
            raise ProviderUnavailable(f"{self._title} had a server error (HTTP {status}).")
        if auth_errors and status in (401, 403):
            raise self.auth_error(response)
        return response

    async def _bounded(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` (no redirect followed) and read its answer, at most
        ``ANSWER_CAP`` bytes; the answer comes back with its body as plain bytes.

        NOTE: an httpx response and its body stream point at each other (encode/httpx#3733),
        so every answer would wait for the cyclic collector, and its pauses land on acks: the
        streamed one lets go of its stream, and a fresh response over plain bytes is returned.
        """
        streamed = await self._client.send(request, stream=True, follow_redirects=False)
        try:
            body = await read_capped(streamed, ANSWER_CAP)
        finally:
            await streamed.aclose()
            streamed.stream = httpx.ByteStream(b"")
        headers = [(k, v) for k, v in streamed.headers.items() if k.lower() not in HOP_HEADERS]
        return httpx.Response(streamed.status_code, headers=headers, content=body, request=request)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """One of this provider's requests in flight (at most ``max_connections``)."""
        try:
            async with asyncio.timeout(self._timeout.pool):
                await self._in_flight.acquire()
        except TimeoutError:
            raise ProviderTimeout(
                f"{self._title} has too many requests in flight already.",
                maybe_created=False,
            ) from None
        try:
            yield
        finally:
            self._in_flight.release()

    def auth_error(self, response: httpx.Response) -> ProviderAuthError:
        """401: the credential is wrong; 403: it lacks a permission or scope."""
        detail = self._detail(response)[:300]
        if response.status_code == 401:
            return ProviderAuthError(
                f"The bot's {self._title} credentials were refused. An admin needs to fix them.",
                admin_detail=f"{self._title} answered 401: {detail}. Check the API key's "
                "environment variable.",
            )
        return ProviderAuthError(
            f"The bot's {self._title} credentials lack a permission. An admin needs to fix them.",
            admin_detail=f"{self._title} answered 403: {detail}.{self._scope_hint}",
        )

    def unexpected(self, response: httpx.Response, what: str) -> ProviderProtocolError:
        """An answer the provider's documentation does not allow."""
        return ProviderProtocolError(
            f"{self._title} answered in a way the bot does not understand.",
            admin_detail=f"{self._title} HTTP {response.status_code}: {what}",
        )
