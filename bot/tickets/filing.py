"""Filing a ticket: one entry (``file``) for every trigger, after the submission is persisted.

``submit`` persists the draft (in the submit's ack, before any provider call); ``file`` then
enriches it (its first attempt), resolves the requester, calls the adapter, records the ticket
and announces the outcome: the submit listener, the retry worker and every trigger to come go
through it, so there is no second way to file.

The submission is written before any provider call and keyed so that Slack's retries and
double clicks file once. What time can fix (timeouts, connection errors, 5xx, 429) is parked
for the retry worker with exponential backoff and jitter, honouring ``Retry-After``, until the
retry window ends.

Just before the create request goes out, the submission is marked *sent*. Only a sent request
without an answer we can trust (a timeout, a reset, a gateway's 502/503/504, a process that
died mid-call) is ambiguous: the next attempt first looks for the ticket at the provider,
through every page since the attempt. Where the provider cannot list tickets, or the look-up
fails or cannot tell, the submission becomes *unsure*: nothing files it again by itself, and
the filer is asked to check and choose (``Unsure``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.domain.drafts import Draft, step_key
from bot.domain.errors import (
    AlreadyRecorded,
    CannotTell,
    ProviderUnavailable,
    RateLimited,
    Signal,
    StoreUnavailable,
    TicketbotError,
    Transient,
    UnknownProvider,
)
from bot.domain.forms import CommonField
from bot.domain.records import Submission, SubmissionState, TicketRecord
from bot.domain.tickets import ENTERED_BY_HAND, Attachment, NewTicket, Requester, TicketRef
from bot.providers.base import Provider, SupportsRecentLookup, takes_attachments
from bot.store.links import LinkQueries
from bot.store.marks import MarkQueries
from bot.store.polls import PollQueries
from bot.store.submissions import SubmissionQueries
from bot.store.tickets import TicketQueries
from bot.tickets.outcomes import (
    Announces,
    Enriches,
    Filed,
    GaveUp,
    Outcome,
    Queued,
    Unsure,
    Wakeup,
    reference,
)
from bot.tickets.outgoing import Outgoing
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


# NOTE: a submission for a provider whose table was removed is looked at again this much later.
HELD_SECONDS = 60.0
FILES_KEY = "files"
# NOTE: how long a write the database is away for is kept in memory and tried again; a claim
# older than ``bot.store.submissions.CLAIM_SECONDS`` is taken over, so keep this well under it
KEEP_SECONDS = 300.0
T = TypeVar("T")


class _NotClaimed(Signal):
    """The database was away when the attempt tried to claim the submission."""


class _FiledMeanwhile(Signal):
    """The ticket is recorded under this submission already."""


class _ClaimLost(Signal):
    """Another replica took this submission over before its create left: it files it."""


class FileFetcher(Protocol):
    async def fetch(self, file_ids: Sequence[str]) -> tuple[list[Attachment], list[str]]: ...


class FilingService:
    """Files tickets; knows the store and the providers, nothing of Slack."""

    def __init__(
        self,
        submissions: SubmissionQueries,
        tickets: TicketQueries,
        polls: PollQueries,
        marks: MarkQueries,
        links: LinkQueries,
        providers: Mapping[str, Provider],
        policy: RetryPolicy,
        announce: Announces,
        wakeup: Wakeup,
        *,
        files: FileFetcher | None = None,
        outgoing: Outgoing | None = None,
        enrich: Enriches | None = None,
    ) -> None:
        """``announce``: who tells people how an attempt went; ``wakeup``: the retry worker's,
        set when a retry falls due sooner than it sleeps; ``enrich``: what a saved draft gets
        before its first attempt (the filer's profile, the message's permalink)."""
        self._files = files
        self._outgoing = outgoing or Outgoing({})
        self._submissions = submissions
        self._tickets = tickets
        self._polls = polls
        self._marks = marks
        self._links = links
        self._attempting: dict[int, object] = {}  # submission id → the task attempting it
        self._providers = providers
        self.policy = policy
        self._announce = announce
        self._wakeup = wakeup
        self._enrich = enrich

    def provider(self, name: str | None) -> Provider:
        provider = self._providers.get(name or "")
        if provider is None:
            known = ", ".join(self._providers) or "none"
            raise UnknownProvider(f"There is no provider called {name!r}. Configured: {known}.")
        return provider

    def database_away(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the database is away (an outage the store tells once)."""
        return self._submissions.unavailable(exc)

    async def first_run(self, function_execution_id: str) -> bool:
        """True for the first delivery of a workflow step run, across every replica; Slack's
        re-deliveries get False, whatever the first run's outcome."""
        try:
            return await self._marks.once(f"{step_key(function_execution_id)}|run")
        except self._marks.errors as exc:
            raise StoreUnavailable(f"the database did not take the step run: {exc}") from exc

    async def submit(self, key: str, draft: Draft) -> tuple[Submission, bool]:
        """Persist the draft under ``key``; returns the stored submission and if it is new.
        ``StoreUnavailable`` if the database would not take it."""
        try:
            return await self._begin(key, draft)
        except self._submissions.errors as exc:
            raise StoreUnavailable(f"the database did not take the submission: {exc}") from exc

    async def _begin(self, key: str, draft: Draft) -> tuple[Submission, bool]:
        return await self._submissions.begin_submission(
            key=key,
            team_id=draft.filer.team_id,
            user_id=draft.filer.user_id,
            provider=draft.provider,
            channel_id=draft.context.channel_id,
            thread_ts=draft.context.thread_ts,
            draft=draft.model_dump_json(),
            first_attempt_by=time.time() + self.policy.first_attempt_within,
        )

    async def file(self, submission: Submission, draft: Draft) -> None:
        """The one way to file a persisted submission, whatever triggered it: enrich (its first
        attempt), attempt, announce the outcome (in ``draft.view_id``'s modal too, if any).

        Raises what the user or an admin must fix, the submission marked failed.
        """
        if submission.state is SubmissionState.PENDING and self._enrich is not None:
            draft = await self._enrich(draft)
        try:
            outcome = await self.attempt(submission, draft)
        except _NotClaimed:
            # NOTE: the database was away before anything was sent: the submission is still
            # saved, and the retry worker files it once the database is back
            log.info("filing waits for the database", extra={"submission": submission.id})
            return
        if outcome is not None:  # None: another delivery, or the worker, files it and tells
            await self._announce.outcome(outcome, view_id=draft.view_id)

    async def retry(self, submission: Submission) -> None:
        """``file`` for the retry worker; what needs a person is told to the filer. A
        submission for a provider whose table was removed is held, not failed (said at
        start): the table may come back."""
        if submission.provider not in self._providers:
            await self._submissions.schedule_retry(
                submission.id,
                at=time.time() + HELD_SECONDS,
                reason=f"provider {submission.provider} is not in the config",
                check_twin=submission.check_twin,
            )
            return
        draft = Draft.stored(submission.key, submission.draft)
        try:
            # NOTE: the modal may still be open; updating a closed one is a no-op
            await self.file(submission, draft)
        except Exception as exc:
            ref = secrets.token_hex(4)
            if isinstance(exc, TicketbotError):
                log.warning("retry needs a person: %s", exc, extra={"ref": ref})
            else:
                log.error("retry failed unexpectedly", exc_info=exc, extra={"ref": ref})
            await self._announce.failed(submission, draft, exc, ref)

    async def due(self, now: float) -> list[Submission]:
        """Submissions whose next attempt is due (or whose first never started)."""
        return await self._submissions.due_submissions(now)

    async def count_retrying(self) -> int:
        """Submissions waiting for a retry (for the metrics)."""
        return await self._submissions.count_retrying()

    async def next_due_at(self) -> float | None:
        """When the next retry falls due, if one does."""
        return await self._submissions.next_due_at()

    async def submission(self, submission_id: int) -> Submission | None:
        return await self._submissions.submission(submission_id)

    async def first_time(self, key: str) -> bool:
        """True for the first caller with ``key``, across replicas (an event Slack delivers
        twice, a reaction added again)."""
        return await self._marks.remember_event(key)

    async def earlier_ticket(
        self, team_id: str, channel_id: str | None, message_ts: str | None, fingerprint: str | None
    ) -> TicketRecord | None:
        """The ticket already filed from this message, or for this alert, if any."""
        return await self._tickets.find_duplicate(team_id, channel_id, message_ts, fingerprint)

    async def file_now(self, submission: Submission) -> None:
        """The filer checked an unsure submission and found no ticket: file it again."""
        if await self._submissions.file_now(submission.id):
            self._wakeup.set()  # the retry worker sends it; its card follows it

    async def record_found(self, submission: Submission, number: str) -> bool:
        """The filer found the ticket an unsure submission filed: record it under ``number``
        and announce it. The bot cannot read a ticket it knows only by its number, so it does
        not follow this one. False if it was decided already."""
        if not await self._submissions.claim_unsure(submission.id):
            return False
        draft = Draft.model_validate_json(submission.draft)
        provider = self.provider(submission.provider)
        ref = provider.ticket_ref(number, number, status=ENTERED_BY_HAND)
        subject = draft.values.get(CommonField.SUBJECT, "")
        priority = draft.values.get(CommonField.PRIORITY)
        record = await self._tickets.record_ticket(
            submission=submission,
            ref=ref,
            subject=subject if isinstance(subject, str) else ", ".join(subject),
            priority=priority if isinstance(priority, str) and priority else None,
            source_ts=draft.context.message_ts,
            fingerprint=draft.context.fingerprint,
        )
        await self._polls.stop_following(record.id)
        filed = Filed(record=record, ref=ref, draft=draft, submission=submission)
        await self._announce.outcome(filed, view_id=None)
        return True

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
                    raise _NotClaimed from still
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
        if now + wait > submission.created_at + self.policy.window:
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
                at=time.time() + self.policy.base_delay,
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
        backoff: float = min(self.policy.max_delay, self.policy.base_delay * 2.0 ** (attempt - 1))
        jitter: float = random.uniform(0, backoff / 2)  # noqa: S311 (jitter, not crypto)
        return backoff + jitter
