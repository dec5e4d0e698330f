"""What every outbound HTTP call shares, whoever makes it (Slack files, providers): where a
secret may be sent (``origin``) and how much of an answer is read (``read_capped``)."""

from __future__ import annotations

import functools
import ssl
from urllib.parse import urlsplit

import httpx

from bot.domain.errors import Signal

# NOTE: a request extension (httpx passes ``extensions`` down to the transport): the most
# bytes of the answer the transport reads before it gives up (``bot.lane``'s reads the body).
MAX_BYTES = "ticketbot.max_bytes"
DEFAULT_MAX_BYTES = 8 * 1_048_576


class TooBig(Signal):
    """An answer's body passed its cap while it was being read; the rest was not read."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"the answer is over {cap} bytes")
        self.cap = cap


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS settings (certifi's CAs, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``),
    loaded once per process: loading the CA bundle costs about 70 ms a client."""
    return httpx.create_ssl_context()


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, lower-cased; None for anything else (and
    for a URL carrying a user name, which could hide its real host from a reader)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port and port != default else "")


def cap_of(request: httpx.Request) -> int:
    """The most bytes of ``request``'s answer to read (its ``MAX_BYTES`` extension)."""
    cap = request.extensions.get(MAX_BYTES)
    return cap if isinstance(cap, int) else DEFAULT_MAX_BYTES


async def read_capped(response: httpx.Response, cap: int, *, raw: bool = False) -> bytes:
    """``response``'s body, at most ``cap`` bytes: ``TooBig`` as soon as it passes them, and
    at once when a declared ``Content-Length`` is over the cap. Decoded (gzip and the like,
    so a small compressed answer cannot unpack past the cap), or ``raw`` as it came."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise TooBig(cap)
    chunks: list[bytes] = []
    got = 0
    async for chunk in response.aiter_raw() if raw else response.aiter_bytes():
        got += len(chunk)
        if got > cap:
            raise TooBig(cap)
        chunks.append(chunk)
    return b"".join(chunks)
