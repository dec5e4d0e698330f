"""Logging: one JSON object per line (or plain text), never a token."""

from __future__ import annotations

import json
import logging
import random
import sys
import time
from contextvars import ContextVar
from typing import TextIO

from bot.redact import Redactor

# The id of the Slack request being handled; tasks spawned while handling it inherit it, and
# users see it as the reference in error messages.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    # NOTE: a reference to find log lines by, not a secret: no system call on every request.
    rid = f"{random.getrandbits(32):08x}"
    request_id.set(rid)
    return rid


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id.get()
        if rid is not None and not hasattr(record, "request_id"):
            record.request_id = rid
        return True


# Attributes every LogRecord has; anything else was passed with extra= and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """On a handler: the record's message, arguments and traceback, redacted before formatting.

    NOTE: extras passed with ``extra=`` are redacted too; they are what a formatter prints
    besides the message.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redactor = self._redactor
        if not redactor:
            return True
        record.msg = redactor.text(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redactor.text(record.exc_text)
            record.exc_info = None
        for key, item in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, redactor.value(item))
        return True


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str | None:
    """The traceback (already redacted by ``RedactingFilter`` where one is installed)."""
    if record.exc_text:
        return record.exc_text
    return formatter.formatException(record.exc_info) if record.exc_info else None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if exc := _exception_text(self, record):
            entry["exc"] = exc
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """Human-readable: time level logger: message key=value …"""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD)
        line = (
            f"{self.formatTime(record)} {record.levelname:<7} {record.name}: "
            f"{record.getMessage()}{' ' + extras if extras else ''}"
        )
        if exc := _exception_text(self, record):
            line += "\n" + exc
        return line


# NOTE: these loggers test their own ``.level`` (``logger.level <= logging.DEBUG``), not the
# effective level: left NOTSET (0), they format a debug line of every Web API call's request
# and response (the whole view of a views.open) and of every bolt middleware, then drop it.
LEVEL_CHECKED = (
    "bot.bolt",
    "slack_sdk.web.async_base_client",  # NOTE: an AsyncWebClient's logger, bolt's per-request too
    "slack_sdk.web.base_client",
    "slack_sdk.web.async_internal_utils",
    "slack_sdk.web.internal_utils",
    "slack_sdk.webhook.async_client",
    "slack_sdk.socket_mode.aiohttp",
)


def setup_logging(
    fmt: str,
    level: int = logging.INFO,
    redactor: Redactor | None = None,
    stream: TextIO | None = None,
) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter(redactor or Redactor()))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; ours carry no secrets but are noise at info level.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in LEVEL_CHECKED:
        logging.getLogger(name).setLevel(level)
