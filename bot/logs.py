"""Logging: one JSON object per line (or plain text), never a token."""

from __future__ import annotations

import json
import logging
import random
import sys
import time
from contextvars import ContextVar

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
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """Human-readable: time level logger: message key=value …"""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD)
        line = (
            f"{self.formatTime(record)} {record.levelname:<7} {record.name}: "
            f"{record.getMessage()}{' ' + extras if extras else ''}"
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup_logging(fmt: str, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; ours carry no secrets but are noise at info level.
    logging.getLogger("httpx").setLevel(logging.WARNING)
