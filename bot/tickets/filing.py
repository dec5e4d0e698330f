"""``file_ticket``: persist the submission, resolve the requester, call the adapter, record.

The submission is written before any provider call and keyed so that Slack's retries and
double clicks file once. What time can fix (timeouts, connection errors, 5xx, 429) is parked
for the retry worker with exponential backoff and jitter, honouring ``Retry-After``, until the
retry window ends. A timeout after the request was sent may mean the ticket exists: the next
attempt first looks for it at the provider, where the provider can list tickets; where it
cannot, the submission is not retried blindly and the user is asked to check.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.errors import ProviderTimeout, RateLimited, TicketbotError, Transient, UnknownProvider
from bot.providers.base import (
    Attachment,
    CommonField,
    NewTicket,
    Provider,
    Requester,
    SupportsAttachments,
    SupportsRecentLookup,
    TicketRef,
)
from bot.store import Store, Submission, TicketRecord
from bot.tickets.drafts import Draft
from bot.tickets.requesters import admin_pick, resolve_requester

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How long a submission keeps trying (seconds), and how fast.

    ``first_attempt_within``: a saved submission whose first attempt has not started by then
    (its job died before it could) is taken over by the retry worker.
    """

    window: float = 30 * 60
    base_delay: float = 2.0
    max_delay: float = 300.0
    first_attempt_within: float = 60.0


@dataclass(frozen=True)
class Filed:
    record: TicketRecord
    ref: TicketRef
    draft: Draft
    submission: Submission


@dataclass(frozen=True)
class Queued:
    """Not filed yet; the worker tries again at ``next_at``."""

    submission: Submission
    draft: Draft
    reason: str
    attempt: int
    next_at: float


@dataclass(frozen=True)
class GaveUp:
    """The retry window ran out; the draft is kept."""

    submission: Submission
    draft: Draft
    reason: str


Outcome = Filed | Queued | GaveUp
FILES_KEY = "files"


class FileFetcher(Protocol):
    async def fetch(self, file_ids: Sequence[str]) -> tuple[list[Attachment], list[str]]: ...


class FilingService:
    """Files tickets; knows the store and the providers, nothing of Slack."""

    def __init__(
        self,
        store: Store,
        providers: Mapping[str, Provider],
        policy: RetryPolicy | None = None,
        files: FileFetcher | None = None,
    ) -> None:
        self._files = files
        self._store = store
        self._providers = providers
        self.policy = policy or RetryPolicy()
        self.on_scheduled: Callable[[], None] = lambda: None  # wakes the retry worker

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
            first_attempt_by=time.time() + self.policy.first_attempt_within,
        )

    async def attempt(self, submission: Submission, draft: Draft) -> Outcome | None:
        """One attempt at a persisted submission; None when another worker has it.

        Raises what the user or an admin must fix (the submission is then marked failed).
        """
        if not await self._store.claim_submission(submission.id, draft.model_dump_json()):
            return None
        attempt = submission.attempts + 1
        provider = self.provider(draft.provider)
        try:
            ticket, skipped = await self._ticket(provider, draft)
            requester = await self._requester(provider, draft)
            ref = None
            if submission.check_twin:
                ref = await self._find_twin(provider, ticket, requester, submission)
            if ref is None:
                ref = await provider.create(ticket, requester)
            ref = ref.model_copy(update={"not_attached": (*ref.not_attached, *skipped)})
        except Transient as exc:
            return await self._park(provider, submission, draft, exc, attempt)
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
            source_ts=draft.context.message_ts,
            fingerprint=draft.context.fingerprint,
        )
        log.info(
            "ticket filed",
            extra={"provider": provider.name, "ticket": ref.number, "attempt": attempt},
        )
        return Filed(record=record, ref=ref, draft=draft, submission=submission)

    async def _ticket(self, provider: Provider, draft: Draft) -> tuple[NewTicket, list[str]]:
        """The neutral ticket, with the chosen Slack files downloaded if the provider takes
        files; plus "name: why" for each chosen file that will not be attached."""
        chosen = draft.values.get(FILES_KEY, ())
        values = {k: v for k, v in draft.values.items() if k != FILES_KEY}
        names = {f.id: f.name for f in draft.context.files}
        attachments: list[Attachment] = []
        skipped: list[str] = []
        if isinstance(chosen, tuple) and chosen:
            if isinstance(provider, SupportsAttachments) and self._files is not None:
                attachments, skipped = await self._files.fetch(chosen)
            else:
                skipped = [
                    f"{names.get(i, i)}: {provider.title} does not take files" for i in chosen
                ]
        ticket = NewTicket(
            values=values,
            filer=draft.filer,
            permalink=draft.permalink,
            attachments=tuple(attachments),
        )
        return ticket, skipped

    async def _requester(self, provider: Provider, draft: Draft) -> Requester:
        if draft.file_as:
            return admin_pick(provider, draft.file_as)
        found = await resolve_requester(self._store, provider, draft.filer)
        assert found is not None  # a look-up was allowed
        return found

    async def _find_twin(
        self, provider: Provider, ticket: NewTicket, requester: Requester, submission: Submission
    ) -> TicketRef | None:
        if not isinstance(provider, SupportsRecentLookup):
            return None
        twin = await provider.find_recent(ticket, requester, since=submission.created_at)
        if twin is not None:
            log.info(
                "found the ticket an earlier attempt filed",
                extra={"provider": provider.name, "ticket": twin.number},
            )
        return twin

    async def _park(
        self, provider: Provider, submission: Submission, draft: Draft, exc: Transient, attempt: int
    ) -> Outcome:
        maybe_created = isinstance(exc, ProviderTimeout) and exc.maybe_created
        if maybe_created and not isinstance(provider, SupportsRecentLookup):
            # NOTE: the provider cannot list its tickets, so we cannot rule out a twin.
            await self._store.fail_submission(submission.id, f"ambiguous: {exc}")
            raise exc
        now = time.time()
        wait = self._delay(exc, attempt)
        if now + wait > submission.created_at + self.policy.window:
            await self._store.give_up(submission.id, exc.message)
            log.warning("gave up filing", extra={"provider": provider.name, "attempt": attempt})
            return GaveUp(submission=submission, draft=draft, reason=exc.message)
        await self._store.schedule_retry(
            submission.id,
            at=now + wait,
            reason=exc.message,
            check_twin=maybe_created or submission.check_twin,
        )
        self.on_scheduled()
        log.warning(
            "provider call failed, will retry",
            extra={
                "provider": provider.name,
                "attempt": attempt,
                "error": type(exc).__name__,
                "wait": round(wait, 2),
            },
        )
        return Queued(
            submission=submission,
            draft=draft,
            reason=exc.message,
            attempt=attempt,
            next_at=now + wait,
        )

    def _delay(self, exc: Transient, attempt: int) -> float:
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return exc.retry_after
        backoff: float = min(self.policy.max_delay, self.policy.base_delay * 2.0 ** (attempt - 1))
        jitter: float = random.uniform(0, backoff / 2)  # noqa: S311 (jitter, not crypto)
        return backoff + jitter
