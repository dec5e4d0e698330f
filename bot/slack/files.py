"""Files on a Slack message, downloaded with the bot token for providers that take files.

The token goes only to Slack's own file hosts (``bot.slack.outbound.SlackOrigins``): a file
stored outside Slack (``files.remote.add``, or any ``url_private`` elsewhere) is listed in the
thread as a link, never downloaded; a redirect is not followed; the body is read in chunks and
dropped once it passes the cap, within one deadline for the whole download.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence

import httpx
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import Signal
from bot.domain.text import size_text
from bot.domain.tickets import Attachment
from bot.safe_http import MAX_BYTES, TooBig, read_capped
from bot.slack.outbound import SlackOrigins
from bot.slack.views.text import strip_invisible

log = logging.getLogger(__name__)
MAX_FILES = 10
DOWNLOAD_SECONDS = 30.0  # the whole download, not each read
UNSAFE_IN_NAME = re.compile(r"[^\w.()\- ]+")


def safe_file_name(name: str, fallback: str) -> str:
    """A file name a provider can store as it is: the base name only (no directories, no
    ``..``), letters, digits and ``. _ - ( )`` and spaces, at most 100 characters."""
    base = strip_invisible(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = UNSAFE_IN_NAME.sub("_", base).strip(" .")
    if len(base) > 100:
        stem, dot, ext = base.rpartition(".")
        base = f"{stem[: 99 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else base[:100]
    return base or fallback


class SlackFiles:
    def __init__(
        self,
        slack: AsyncWebClient,
        http: httpx.AsyncClient,
        token: SecretStr,
        cap_bytes: int,
        origins: SlackOrigins,
        deadline: float = DOWNLOAD_SECONDS,
    ) -> None:
        self._slack = slack
        self._http = http
        self._token = token
        self._cap = cap_bytes
        self._origins = origins
        self._deadline = deadline

    async def fetch(self, file_ids: Sequence[str]) -> tuple[list[Attachment], list[str]]:
        """The files that could be downloaded, and "name: why" for those that could not."""
        got: list[Attachment] = []
        skipped: list[str] = []
        for file_id in list(file_ids)[:MAX_FILES]:
            try:
                info = (await self._slack.files_info(file=file_id))["file"]
            except SlackApiError as exc:
                skipped.append(f"{file_id}: Slack would not share it ({exc.response.get('error')})")
                continue
            name = safe_file_name(str(info.get("name") or ""), fallback=str(file_id))
            url = str(info.get("url_private_download") or info.get("url_private") or "")
            # NOTE: a remote file (files.remote.add, ``is_external``/``mode: external``) has the
            # URL its adding app chose: the bot token must never go there.
            if info.get("is_external") or info.get("mode") == "external":
                skipped.append(f"{name}: stored outside Slack, not downloaded ({_link(info)})")
                continue
            if not self._origins.serves_files(url):
                log.warning("a file's URL is not on Slack's file host; not downloaded")
                skipped.append(f"{name}: not on Slack's file host, not downloaded ({_link(info)})")
                continue
            size = int(info.get("size") or 0)
            if size > self._cap:
                skipped.append(
                    f"{name}: {size_text(size)} is over the {size_text(self._cap)} limit"
                )
                continue
            mime = str(info.get("mimetype") or "application/octet-stream")
            try:
                async with asyncio.timeout(self._deadline):
                    content = await self._download(url, mime)
            except TooBig:
                skipped.append(f"{name}: over the {size_text(self._cap)} limit")
                continue
            except TimeoutError:
                skipped.append(f"{name}: download failed (took over {self._deadline:g} s)")
                continue
            except httpx.HTTPError as exc:
                skipped.append(f"{name}: download failed ({type(exc).__name__})")
                continue
            except DownloadRefused as exc:
                skipped.append(f"{name}: {exc}")
                continue
            got.append(Attachment(name=name, content=content, mime=mime))
        return got, skipped

    async def _download(self, url: str, mime: str) -> bytes:
        """The file's bytes, read in chunks; ``TooBig`` as soon as they pass the cap."""
        headers = {"Authorization": f"Bearer {self._token.get_secret_value()}"}
        async with self._http.stream(
            "GET",
            url,
            headers=headers,
            follow_redirects=False,
            timeout=self._deadline,
            extensions={MAX_BYTES: self._cap},
        ) as response:
            # NOTE: without files:read Slack answers 200 with an HTML sign-in page, not the file.
            if response.headers.get("content-type", "").startswith(
                "text/html"
            ) and not mime.startswith("text/html"):
                raise DownloadRefused("Slack sent a sign-in page (the bot lacks files:read)")
            if response.status_code != 200:
                raise DownloadRefused(f"download failed (HTTP {response.status_code})")
            try:
                return await read_capped(response, self._cap)
            finally:
                await response.aclose()
                response.stream = httpx.ByteStream(b"")  # NOTE: see ProviderHttp._bounded


class DownloadRefused(Signal):
    """Slack answered something other than the file; the message says what."""


def _link(info: dict[str, object]) -> str:
    """Where a person can open the file: Slack's page for it, else the URL it names."""
    return str(info.get("permalink") or info.get("url_private") or "no link")
