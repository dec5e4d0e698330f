"""Prometheus metrics, in a registry of their own (no import-time globals), served on /metrics.

Provider calls are measured by ``MeteredTransport``: the one-method httpx transport seam, so
every adapter is measured without knowing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Protocol

import aiohttp
import httpx
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)


class OutageState(Protocol):
    """What the outage gauges read (``bot.store.outage.Outage``)."""

    @property
    def away(self) -> bool: ...

    failed: int


ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0)
CALL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def watch_database(self, outage: OutageState) -> None:
        """The outage gauges read ``outage`` whenever they are scraped."""
        self.database_away.set_function(lambda: float(outage.away))
        self.database_failed_calls.set_function(lambda: float(outage.failed))

    def watch_edits(self, waiting: Callable[[], int]) -> None:
        """The edits gauge reads ``waiting`` whenever it is scraped."""
        self.edits_waiting.set_function(lambda: float(waiting()))

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._ack_children: dict[str, tuple[Counter, Histogram]] = {}
        self.requests = Counter(
            "ticketbot_slack_requests",
            "Slack requests by kind (command, view_submission, block_actions, message_action, "
            "event, …)",
            ["kind"],
            registry=self.registry,
        )
        self.refused = Counter(
            "ticketbot_unverified_requests",
            "Requests refused before parsing: missing, stale or wrong signature",
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "ticketbot_ack_seconds",
            "Time to acknowledge Slack",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.tickets = Counter(
            "ticketbot_tickets",
            "Submissions by provider and outcome (filed, queued, unsure, gave_up, failed)",
            ["provider", "outcome"],
            registry=self.registry,
        )
        self.provider_seconds = Histogram(
            "ticketbot_provider_call_seconds",
            "Provider HTTP calls",
            ["provider"],
            buckets=CALL_BUCKETS,
            registry=self.registry,
        )
        self.provider_errors = Counter(
            "ticketbot_provider_errors",
            "Provider calls that failed, by class (timeout, connection, rate_limited, "
            "server_error, auth, rejected)",
            ["provider", "error"],
            registry=self.registry,
        )
        self.retries_pending = Gauge(
            "ticketbot_retries_pending", "Submissions waiting for a retry", registry=self.registry
        )
        self.jobs_waiting = Gauge(
            "ticketbot_background_jobs_waiting",
            "Jobs after the ack waiting for a background slot or giving way to Slack",
            registry=self.registry,
        )
        self.edits_waiting = Gauge(
            "ticketbot_edits_waiting",
            "Edits of the bot's messages (ticket cards, alert notes) waiting for Slack's rate "
            "limit (a number that keeps growing: changes come faster than Slack takes edits)",
            registry=self.registry,
        )
        self.redactions = Counter(
            "ticketbot_redactions",
            "Findings redacted before text went to a provider, by kind (never a value)",
            ["kind", "provider"],
            registry=self.registry,
        )
        self.tasks = Gauge(
            "ticketbot_event_loop_tasks",
            "Tasks alive on the event loop (a number that keeps growing is a leak)",
            registry=self.registry,
        )
        self.poller_lag = Gauge(
            "ticketbot_poller_lag_seconds",
            "How late the most overdue status poll ran",
            registry=self.registry,
        )
        self.cards_owed = Gauge(
            "ticketbot_cards_owed",
            "Filed tickets whose card Slack has not taken yet (posted again as they fall due)",
            registry=self.registry,
        )
        self.replicas_alive = Gauge(
            "ticketbot_replicas_alive",
            "Processes sharing the database whose heartbeat is fresh (this one included)",
            registry=self.registry,
        )
        self.replicas_stale = Gauge(
            "ticketbot_replicas_stale",
            "Processes seen in the last hour whose heartbeat stopped (taken for dead)",
            registry=self.registry,
        )
        self.slack_calls = Counter(
            "ticketbot_slack_calls", "Slack Web API calls made", registry=self.registry
        )
        self.slack_errors = Counter(
            "ticketbot_slack_errors",
            "Slack Web API calls that failed, by class (timeout, connection, rate_limited, "
            "server_error)",
            ["error"],
            registry=self.registry,
        )
        self.database_away = Gauge(
            "ticketbot_database_away",
            "1 while the database does not answer (an outage: logged once when it begins and "
            "once when it ends), else 0",
            registry=self.registry,
        )
        self.database_failed_calls = Gauge(
            "ticketbot_database_failed_calls",
            "Database calls that failed in the outage under way (0 when it answers)",
            registry=self.registry,
        )
        # NOTE: process_start_time_seconds (restarts), memory, CPU and open files, on Linux
        ProcessCollector(registry=self.registry)

    def acked(self, kind: str, seconds: float) -> None:
        """One Slack request of ``kind``, acknowledged after ``seconds``."""
        children = self._ack_children.get(kind)
        if children is None:  # NOTE: labels() costs a lock and a look-up; asked on every ack
            children = (self.requests.labels(kind), self.ack_seconds.labels(kind))
            self._ack_children[kind] = children
        children[0].inc()
        children[1].observe(seconds)

    def redacted(self, kind: str, provider: str, count: int) -> None:
        self.redactions.labels(kind, provider).inc(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    async def slack_call(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        """An aiohttp client middleware for the Slack session: each call counted, and each
        failure by its class (an API error in a 200 answer is the caller's, not counted)."""
        self.slack_calls.inc()
        try:
            response = await handler(request)
        except (TimeoutError, aiohttp.ServerTimeoutError):
            self.slack_errors.labels("timeout").inc()
            raise
        except aiohttp.ClientError:
            self.slack_errors.labels("connection").inc()
            raise
        if response.status == 429 or response.status >= 500:
            self.slack_errors.labels(error_class(response.status) or "server_error").inc()
        return response


def error_class(status: int) -> str | None:
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server_error"
    if status in (401, 403):
        return "auth"
    if status >= 400:
        return "rejected"
    return None


class MeteredTransport(httpx.AsyncBaseTransport):
    """Wraps the real transport; labels each call with the provider whose base URL it hits."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, metrics: Metrics, providers: Mapping[str, str]
    ) -> None:
        self._inner = inner
        self._metrics = metrics
        self._providers = sorted(providers.items(), key=lambda kv: -len(kv[1]))

    def _provider(self, url: httpx.URL) -> str:
        text = str(url)
        return next((name for name, base in self._providers if text.startswith(base)), "other")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        provider = self._provider(request.url)
        started = time.perf_counter()
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TimeoutException:
            self._metrics.provider_errors.labels(provider, "timeout").inc()
            raise
        except httpx.TransportError:
            self._metrics.provider_errors.labels(provider, "connection").inc()
            raise
        finally:
            self._metrics.provider_seconds.labels(provider).observe(time.perf_counter() - started)
        if (kind := error_class(response.status_code)) is not None:
            self._metrics.provider_errors.labels(provider, kind).inc()
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
