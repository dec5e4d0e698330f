"""One attempt at filing a persisted submission, fenced by its claim (``FilingService.file``
calls it; nothing else does).

An attempt claims the submission, builds the neutral ticket (files, the one outgoing check,
the requester), creates it at the provider, records it, and returns the outcome; what time can
fix (timeouts, connection errors, 5xx, 429) is parked for the retry worker with exponential
backoff and jitter, honouring ``Retry-After``, until the retry window ends.

Just before the create request goes out, the submission is marked *sent*, and the claim is
checked as it leaves (``before_send``): a replica that took the submission over meanwhile files
it, and two creates never leave. Only a sent request without an answer we can trust (a
timeout, a reset, a gateway's 502/503/504, a process that died mid-call) is ambiguous: the next
attempt first looks for the ticket at the provider, through every page since the attempt.
Where the provider cannot list tickets, or the look-up fails or cannot tell, the submission
becomes *unsure*: nothing files it again by itself, and the filer is asked to check and choose
(``Unsure``).

What an attempt writes while the database is away is kept in memory and written when it is
back (``_stored``), for up to ``KEEP_SECONDS``, the claim held meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.domain.drafts import Draft
from bot.domain.errors import (
    AlreadyRecorded,
    CannotTell,
    ProviderUnavailable,
    RateLimited,
    Signal,
    TicketbotError,
    Transient,
    UnknownProvider,
)
from bot.domain.forms import CommonField
from bot.domain.records import Submission
from bot.domain.tickets import Attachment, NewTicket, Requester, TicketRef
from bot.providers.base import Provider, SupportsRecentLookup, takes_attachments
from bot.store.links import LinkQueries
from bot.store.submissions import SubmissionQueries
from bot.store.tickets import TicketQueries
from bot.tickets.outcomes import Filed, GaveUp, Outcome, Queued, Unsure, Wakeup, reference
from bot.tickets.outgoing import Outgoing
from bot.tickets.requesters import admin_pick, resolve_requester

# NOTE: the attempt logs under the filing service's name, as it did before it had its own
# module: operators' filters on ``bot.tickets.filing`` keep seeing "ticket filed" and the rest
log = logging.getLogger("bot.tickets.filing")


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


FILES_KEY = "files"
# NOTE: how long a write the database is away for is kept in memory and tried again; a claim
# older than ``bot.store.submissions.CLAIM_SECONDS`` is taken over, so keep this well under it
KEEP_SECONDS = 300.0
T = TypeVar("T")


class NotClaimed(Signal):
    """The database was away when the attempt tried to claim the submission."""


class _FiledMeanwhile(Signal):
    """The ticket is recorded under this submission already."""


class _ClaimLost(Signal):
    """Another replica took this submission over before its create left: it files it."""


class FileFetcher(Protocol):
    async def fetch(self, file_ids: Sequence[str]) -> tuple[list[Attachment], list[str]]: ...


class Attempts:
    """Attempts at persisted submissions; knows the store and the providers, nothing of Slack.
    Which of this process's tasks attempts a submission is known here only (``_attempting``)."""

    def __init__(
        self,
        submissions: SubmissionQueries,
        tickets: TicketQueries,
        links: LinkQueries,
        providers: Mapping[str, Provider],
        policy: RetryPolicy,
        wakeup: Wakeup,
        files: FileFetcher | None,
        outgoing: Outgoing,
    ) -> None:
        self._submissions = submissions
        self._tickets = tickets
        self._links = links
        self._providers = providers
        self._policy = policy
        self._wakeup = wakeup
        self._files = files
        self._outgoing = outgoing
        self._attempting: dict[int, object] = {}  # submission id → the task attempting it

    def provider(self, name: str | None) -> Provider:
        provider = self._providers.get(name or "")
        if provider is None:
            known = ", ".join(self._providers) or "none"
            raise UnknownProvider(f"There is no provider called {name!r}. Configured: {known}.")
        return provider

    async def attempt(self, submission: Submission, draft: Draft) -> Outcome | None:
        """One attempt at a persisted submission; None when another worker has it (another
        replica, or another of this process's tasks), or took it over meanwhile.

        Raises what the user or an admin must fix (the submission is then marked failed).
        """
        mine = object()
        try:
            return await self._attempt(submission, draft, mine)
        except _ClaimLost:
            log.info(
                "another worker took this submission over", extra={"submission": submission.id}
            )
            return None
        finally:
            if self._attempting.get(submission.id) is mine:
                del self._attempting[submission.id]

    async def _attempt(self, submission: Submission, draft: Draft, mine: object) -> Outcome | None:
        claim = draft.model_dump_json()
        try:
            claimed = await self._submissions.claim_submission(submission.id, claim)
        except Exception as exc:
            if not self._submissions.unavailable(exc):
                raise
            # NOTE: kept in memory until the database answers; a claim the outage hid (it
            # landed, its answer did not) is this process's own
            try:
                claimed = await self._stored(
                    lambda: self._submissions.claim_submission(submission.id, claim)
                ) or await self._submissions.holds_claim(submission.id)
            except Exception as still:
                if self._submissions.unavailable(still):
                    raise NotClaimed from still
                raise
        # NOTE: the claim names this process; which of its tasks holds it is known here only
        # (a claim retried through an outage may find one the retry worker made meanwhile)
        if not claimed or self._attempting.setdefault(submission.id, mine) is not mine:
            return None
        attempt = submission.attempts + 1
        provider = self.provider(draft.provider)
        try:
            ticket, skipped = await self._ticket(provider, draft, submission)
            # NOTE: the one check before a ticket leaves (bot.tickets.outgoing)
            ticket, redacted, left_out = await self._outgoing.ticket(
                provider, ticket, as_typed=draft.as_typed
            )
            skipped += left_out
            requester = await self._requester(provider, draft)
            ref = None
            if submission.check_twin:
                ref = await self._find_twin(provider, ticket, requester, submission)
            if ref is None:
                ref = await self._create(provider, ticket, requester, submission)
            ref = ref.model_copy(update={"not_attached": (*ref.not_attached, *skipped)})
        except _FiledMeanwhile:
            return None  # NOTE: recorded under this very submission: its card is owed already
        except CannotTell as exc:
            return await self._unsure(provider, submission, draft, exc.message)
        except Transient as exc:
            return await self._park(provider, submission, draft, exc, attempt)
        except Exception as exc:
            if self._submissions.unavailable(exc):  # NOTE: before anything was sent (``mark_sent``)
                await self._wait_for_database(submission)
                return None
            why = (
                f"{type(exc).__name__}: {exc}"
                if isinstance(exc, TicketbotError)
                else f"unexpected: {type(exc).__name__}"
            )
            await self._held(
                lambda: self._submissions.fail_submission(submission.id, why, claimed=True)
            )
            raise
        try:
            # NOTE: the provider holds the ticket now: its record is kept in memory and
            # written once the database answers again, never dropped
            record = await self._stored(
                lambda: self._tickets.record_ticket(
                    submission=submission,
                    ref=ref,
                    subject=ticket.text(CommonField.SUBJECT),
                    priority=ticket.text(CommonField.PRIORITY) or None,
                    source_ts=draft.context.message_ts,
                    fingerprint=draft.context.fingerprint,
                )
            )
        except AlreadyRecorded as exc:
            if await self._recorded_here(provider, ref, submission):
                return None  # NOTE: a write the outage hid had landed; its card is owed
            # NOTE: a twin check took a ticket another submission recorded meanwhile: look again.
            again = ProviderUnavailable(exc.message, maybe_created=True)
            return await self._park(provider, submission, draft, again, attempt)
        log.info(
            "ticket filed",
            extra={"provider": provider.name, "ticket": ref.number, "attempt": attempt},
        )
        self._outgoing.sent(provider.name, redacted, filer=draft.filer, ticket=ref.number)
        return Filed(record=record, ref=ref, draft=draft, submission=submission, redacted=redacted)

    async def _create(
        self, provider: Provider, ticket: NewTicket, requester: Requester, submission: Submission
    ) -> TicketRef:
        """``provider.create``, the submission marked sent just before the create request
        leaves (``before_send``), not while it waits for a connection."""

        async def sending() -> None:
            # NOTE: the claim is checked as the request leaves (a fencing write): a replica
            # that took this submission over meanwhile files it, and two creates never leave
            if not await self._submissions.mark_sent(submission.id):
                raise _ClaimLost

        return await provider.create(ticket, requester, before_send=sending)

    async def _ticket(
        self, provider: Provider, draft: Draft, submission: Submission
    ) -> tuple[NewTicket, list[str]]:
        """The neutral ticket, with the chosen Slack files downloaded if the provider takes
        files; plus "name: why" for each chosen file that will not be attached."""
        chosen = draft.values.get(FILES_KEY, ())
        values = {k: v for k, v in draft.values.items() if k != FILES_KEY}
        names = {f.id: f.name for f in draft.context.files}
        attachments: list[Attachment] = []
        skipped: list[str] = []
        if isinstance(chosen, tuple) and chosen:
            if takes_attachments(provider) and self._files is not None:
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
            reference=reference(submission),
        )
        return ticket, skipped

    async def _requester(self, provider: Provider, draft: Draft) -> Requester:
        if draft.file_as:
            return admin_pick(provider, draft.file_as)
        found = await resolve_requester(self._links, provider, draft.filer)
        assert found is not None  # a look-up was allowed
        return found

    async def _find_twin(
        self, provider: Provider, ticket: NewTicket, requester: Requester, submission: Submission
    ) -> TicketRef | None:
        """The ticket an earlier attempt filed, or None if there is none; ``CannotTell`` where
        that cannot be known. A look-up that time may fix (a timeout) is retried later."""
        if not isinstance(provider, SupportsRecentLookup):
            raise CannotTell(f"{provider.title} cannot list its tickets")
        try:
            candidates = await provider.find_recent(ticket, requester, since=submission.created_at)
        except (CannotTell, Transient):
            raise  # NOTE: time may fix a timeout or a 5xx: the look-up is retried later
        except TicketbotError as exc:  # missing, refused, an answer it cannot read
            raise CannotTell(f"{provider.title}'s ticket list could not be read") from exc
        # NOTE: tickets with the same subject that other submissions recorded are theirs.
        twin = None
        for candidate in candidates:
            owner = await self._tickets.recorded_by(provider.name, candidate.id)
            if owner == submission.id:
                raise _FiledMeanwhile  # another worker of this replica or another recorded it
            if owner is None:
                twin = candidate
                break
        if twin is not None:
            log.info(
                "found the ticket an earlier attempt filed",
                extra={"provider": provider.name, "ticket": twin.number},
            )
        return twin

    async def _park(
        self, provider: Provider, submission: Submission, draft: Draft, exc: Transient, attempt: int
    ) -> Outcome:
        maybe_created = exc.maybe_created
        if maybe_created and not isinstance(provider, SupportsRecentLookup):
            # NOTE: the provider cannot list its tickets, so nothing can rule out a twin.
            return await self._unsure(provider, submission, draft, exc.message)
        now = time.time()
        wait = self._delay(exc, attempt)
        if now + wait > submission.created_at + self._policy.window:
            if maybe_created or submission.check_twin:
                return await self._unsure(provider, submission, draft, exc.message)
            await self._held(
                lambda: self._submissions.give_up(submission.id, exc.message, claimed=True)
            )
            log.warning("gave up filing", extra={"provider": provider.name, "attempt": attempt})
            return GaveUp(submission=submission, draft=draft, reason=exc.message)
        checking = maybe_created or submission.check_twin
        await self._held(
            lambda: self._submissions.schedule_retry(
                submission.id, at=now + wait, reason=exc.message, check_twin=checking, claimed=True
            )
        )
        self._wakeup.set()
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
            checking=checking,
        )

    async def _unsure(
        self, provider: Provider, submission: Submission, draft: Draft, reason: str
    ) -> Unsure:
        await self._held(lambda: self._submissions.mark_unsure(submission.id, reason, claimed=True))
        log.warning(
            "cannot tell whether the ticket was filed; the filer decides",
            extra={"provider": provider.name, "submission": submission.id},
        )
        return Unsure(submission=submission, draft=draft, reason=reason)

    async def _wait_for_database(self, submission: Submission) -> None:
        """Nothing was sent and the database went away mid-attempt: the submission is parked
        (kept in memory until the database takes that) for the retry worker, quietly: the
        filer's modal still says "Filing…" and the card follows the ticket."""
        await self._held(
            lambda: self._submissions.schedule_retry(
                submission.id,
                at=time.time() + self._policy.base_delay,
                reason="the bot's database did not answer",
                check_twin=submission.check_twin,
                claimed=True,
            )
        )
        self._wakeup.set()
        log.info("filing waits for the database", extra={"submission": submission.id})

    async def _held(self, write: Callable[[], Awaitable[bool]]) -> None:
        """An attempt's outcome written while it still holds its claim (``_stored``): when
        another worker took the submission over meanwhile, ``_ClaimLost`` (its outcome is
        that worker's to write and tell)."""
        if not await self._stored(write):
            raise _ClaimLost

    async def _stored(self, write: Callable[[], Awaitable[T]]) -> T:
        """``write``, tried again while the database is away: what it holds stays in memory
        (with this submission claimed) until the database answers, for up to ``KEEP_SECONDS``;
        after that the error, and the claim expires (``CLAIM_SECONDS``) for a take-over that
        looks for the ticket first."""
        given_up_at = time.monotonic() + KEEP_SECONDS
        delay = 0.2
        while True:
            try:
                return await write()
            except Exception as exc:
                if not self._submissions.unavailable(exc) or time.monotonic() > given_up_at:
                    raise
            await asyncio.sleep(delay)  # NOTE: the outage is logged once by the store
            delay = min(delay * 2, 5.0)

    async def _recorded_here(
        self, provider: Provider, ref: TicketRef, submission: Submission
    ) -> bool:
        return await self._tickets.recorded_by(provider.name, ref.id) == submission.id

    def _delay(self, exc: Transient, attempt: int) -> float:
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return exc.retry_after
        backoff: float = min(self._policy.max_delay, self._policy.base_delay * 2.0 ** (attempt - 1))
        jitter: float = random.uniform(0, backoff / 2)  # noqa: S311 (jitter, not crypto)
        return backoff + jitter
