"""Files on a Slack message, downloaded with the bot token for providers that take files."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import httpx
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.tickets import Attachment
from bot.slack.views.text import strip_invisible

log = logging.getLogger(__name__)
MAX_FILES = 10
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


def size_text(size: int) -> str:
    if size >= 1_048_576:
        return f"{size / 1_048_576:.1f} MB"
    return f"{size / 1024:.1f} KB"


class SlackFiles:
    def __init__(
        self, slack: AsyncWebClient, http: httpx.AsyncClient, token: SecretStr, cap_bytes: int
    ) -> None:
        self._slack = slack
        self._http = http
        self._token = token
        self._cap = cap_bytes

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
            size = int(info.get("size") or 0)
            if size > self._cap:
                skipped.append(
                    f"{name}: {size_text(size)} is over the {size_text(self._cap)} limit"
                )
                continue
            url = info.get("url_private_download") or info.get("url_private")
            try:
                response = await self._http.get(
                    str(url),
                    follow_redirects=True,
                    timeout=30,
                    headers={"Authorization": f"Bearer {self._token.get_secret_value()}"},
                )
            except httpx.HTTPError as exc:
                skipped.append(f"{name}: download failed ({type(exc).__name__})")
                continue
            mime = str(info.get("mimetype") or "application/octet-stream")
            # NOTE: without files:read Slack answers 200 with an HTML sign-in page, not the file.
            if response.headers.get("content-type", "").startswith(
                "text/html"
            ) and not mime.startswith("text/html"):
                skipped.append(f"{name}: Slack sent a sign-in page (the bot lacks files:read)")
                continue
            if response.status_code != 200 or len(response.content) > self._cap:
                skipped.append(f"{name}: download failed (HTTP {response.status_code})")
                continue
            got.append(Attachment(name=name, content=response.content, mime=mime))
        return got, skipped
