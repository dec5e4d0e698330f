"""``file_ticket``: persist the submission, resolve the requester, call the adapter, record.

The submission is written before any provider call and keyed so that Slack's retries and
double clicks file once. Failures that time can fix are retried here for a short, bounded
window, honouring ``Retry-After``; an ambiguous timeout (the request was sent) is never
retried blindly, because the provider may have created the ticket.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass

from bot.errors import ProviderTimeout, RateLimited, TicketbotError, Transient, UnknownProvider
from bot.providers.base import CommonField, NewTicket, Provider, Requester, TicketRef
from bot.store import Store, Submission, TicketRecord
from bot.tickets.drafts import Draft
from bot.tickets.requesters import admin_pick, resolve_requester

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How long a submission may keep trying before the user is told (seconds)."""

    attempts: int = 3
    budget: float = 20.0
    base_delay: float = 0.5


@dataclass(frozen=True)
class Filed:
    record: TicketRecord
    ref: TicketRef
    draft: Draft


class FilingService:
    """Files tickets; knows the store and the providers, nothing of Slack."""

    def __init__(
        self, store: Store, providers: Mapping[str, Provider], policy: RetryPolicy | None = None
    ) -> None:
        self._store = store
        self._providers = providers
        self._policy = policy or RetryPolicy()

    def provider(self, name: str | None) -> Provider:
        provider = self._providers.get(name or "")
        if provider is None:
            known = ", ".join(self._providers) or "none"
            raise UnknownProvider(f"There is no provider called {name!r}. Configured: {known}.")
        return provider

    async def submit(self, key: str, draft: Draft) -> tuple[Submission, bool]:
        """Persist the draft under ``key``; returns the stored submission and if it is new."""
        return await self._store.begin_submission(
            key=key,
            team_id=draft.filer.team_id,
            user_id=draft.filer.user_id,
            provider=draft.provider,
            channel_id=draft.context.channel_id,
            thread_ts=draft.context.thread_ts,
            draft=draft.model_dump_json(),
        )

    async def file(self, submission: Submission, draft: Draft) -> Filed | None:
        """File a persisted submission; None when another worker is already filing it."""
        if not await self._store.claim_submission(submission.id, draft.model_dump_json()):
            return None
        provider = self.provider(draft.provider)
        try:
            if draft.file_as:
                requester = admin_pick(provider, draft.file_as)
            else:
                found = await resolve_requester(self._store, provider, draft.filer)
                assert found is not None  # a look-up was allowed
                requester = found
            ticket = NewTicket(values=draft.values, filer=draft.filer, permalink=draft.permalink)
            ref = await self._create(provider, ticket, requester)
        except TicketbotError as exc:
            await self._store.fail_submission(submission.id, f"{type(exc).__name__}: {exc}")
            raise
        except Exception as exc:
            await self._store.fail_submission(submission.id, f"unexpected: {type(exc).__name__}")
            raise
        record = await self._store.record_ticket(
            submission=submission,
            ref=ref,
            subject=ticket.text(CommonField.SUBJECT),
            priority=ticket.text(CommonField.PRIORITY) or None,
        )
        log.info("ticket filed", extra={"provider": provider.name, "ticket": ref.number})
        return Filed(record=record, ref=ref, draft=draft)

    async def _create(
        self, provider: Provider, ticket: NewTicket, requester: Requester
    ) -> TicketRef:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._policy.budget
        attempt = 0
        while True:
            attempt += 1
            try:
                return await provider.create(ticket, requester)
            except Transient as exc:
                if isinstance(exc, ProviderTimeout) and exc.maybe_created:
                    raise  # NOTE: the provider may have the ticket; a blind retry files a twin
                wait = self._delay(exc, attempt)
                if attempt >= self._policy.attempts or loop.time() + wait > deadline:
                    raise
                log.warning(
                    "provider call failed, retrying",
                    extra={
                        "provider": provider.name,
                        "attempt": attempt,
                        "error": type(exc).__name__,
                        "wait": round(wait, 2),
                    },
                )
                await asyncio.sleep(wait)

    def _delay(self, exc: Transient, attempt: int) -> float:
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return exc.retry_after
        backoff: float = self._policy.base_delay * 2.0 ** (attempt - 1)
        jitter: float = random.uniform(0, backoff / 2)  # noqa: S311 (jitter, not crypto)
        return backoff + jitter
