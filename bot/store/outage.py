"""A database outage, told once: one log line when the database stops answering, one when it
answers again (with how long, and how many calls failed meanwhile), not a traceback per call.

The backend runs every statement inside ``watch()``; callers still get the engine's error (the
store's ``errors``) and decide: a submit is answered "busy", a filed ticket's record is kept in
memory and written when the database is back (``bot.tickets.attempts``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


class Outage:
    """Whether the database is away now, since when, and how many calls failed meanwhile."""

    def __init__(self, errors: tuple[type[BaseException], ...], where: str) -> None:
        """``errors``: what says the database is away (not that a statement was refused)."""
        self._errors: tuple[type[BaseException], ...] = (*errors, TimeoutError)
        self._where = where
        self.since: float | None = None  # time.monotonic() of the first failure
        self.failed = 0
        self.ended_at: float | None = None  # time.monotonic() the last outage ended
        self.total_failed = 0  # every call failed in every outage (for metrics)
        self._sent = 0  # statements sent so far
        self._sent_before = 0  # statements sent before the outage began

    @contextmanager
    def watch(self) -> Iterator[None]:
        """Run one statement; its failure starts (or counts in) an outage, its success ends one
        if it was sent after the outage began."""
        sent, self._sent = self._sent, self._sent + 1
        try:
            yield
        except self._errors as exc:
            self._failed(exc)
            raise
        except Exception:
            self._answered(sent)  # NOTE: it answered, with a refusal (a unique violation, …)
            raise
        self._answered(sent)

    def _failed(self, exc: BaseException) -> None:
        self.failed += 1
        self.total_failed += 1
        if self.since is None:
            self.since = time.monotonic()
            self._sent_before = self._sent
            log.warning(
                "database outage began: it does not answer",
                extra={"database": self._where, "error": type(exc).__name__},
            )

    def _answered(self, sent: int) -> None:
        # NOTE: a statement sent before the outage began may still land its answer just after
        # (another pool connection, answered before the cut): that proves nothing
        if self.since is None or sent < self._sent_before:
            return
        now = time.monotonic()
        log.warning(
            "database outage ended: it answers again",
            extra={
                "database": self._where,
                "seconds": round(now - self.since, 1),
                "failed_calls": self.failed,
            },
        )
        self.since, self.failed, self.ended_at = None, 0, now

    @property
    def away(self) -> bool:
        return self.since is not None

    def settled(self, seconds: float) -> bool:
        """No outage now, and none ended in the last ``seconds`` (the other replicas' heartbeats
        have had time to land since)."""
        if self.since is not None:
            return False
        return self.ended_at is None or time.monotonic() - self.ended_at >= seconds


class PoolRetriesTold(logging.Filter):
    """On asyncpg's pool logger: its "Failed to restore the pool connection floor; retrying"
    (with a traceback, every second or two of an outage) is dropped: the outage's own lines
    say it once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to restore the pool connection floor")


def quiet_pool_retries(logger: logging.Logger) -> None:
    """``logger`` with ``PoolRetriesTold`` (once)."""
    if not any(isinstance(f, PoolRetriesTold) for f in logger.filters):
        logger.addFilter(PoolRetriesTold())
