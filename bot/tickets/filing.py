"""Filing a ticket: one entry (``file``) for every trigger, after the submission is persisted.

``submit`` persists the draft (in the submit's ack, before any provider call); ``file`` then
enriches it (its first attempt), resolves the requester, calls the adapter, records the ticket
and announces the outcome: the submit listener, the retry worker and every trigger to come go
through it, so there is no second way to file.

The submission is written before any provider call and keyed so that Slack's retries and
double clicks file once. One attempt (claim, create with the *sent* mark, record, or park for
the retry worker, or ask the filer when it cannot tell) is ``bot.tickets.attempts``'s; this
module is the service's face: what callers build it with (``RetryPolicy``, ``FileFetcher``,
``FILES_KEY`` are re-exported) and what they ask of it.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping

from bot.domain.drafts import Draft, step_key
from bot.domain.errors import StoreUnavailable, TicketbotError
from bot.domain.forms import CommonField
from bot.domain.records import Submission, SubmissionState, TicketRecord
from bot.domain.tickets import ENTERED_BY_HAND
from bot.providers.base import Provider
from bot.store.links import LinkQueries
from bot.store.marks import MarkQueries
from bot.store.polls import PollQueries
from bot.store.submissions import SubmissionQueries
from bot.store.tickets import TicketQueries
from bot.tickets.attempts import FILES_KEY, Attempts, FileFetcher, NotClaimed, RetryPolicy
from bot.tickets.outcomes import Announces, Enriches, Filed, Wakeup
from bot.tickets.outgoing import Outgoing

__all__ = ["FILES_KEY", "FileFetcher", "FilingService", "RetryPolicy"]

log = logging.getLogger(__name__)

# NOTE: a submission for a provider whose table was removed is looked at again this much later.
HELD_SECONDS = 60.0


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
        self._submissions = submissions
        self._tickets = tickets
        self._polls = polls
        self._marks = marks
        self._providers = providers
        self.policy = policy
        self._announce = announce
        self._wakeup = wakeup
        self._enrich = enrich
        self._attempts = Attempts(
            submissions,
            tickets,
            links,
            providers,
            policy,
            wakeup,
            files,
            outgoing or Outgoing({}),
        )

    def provider(self, name: str | None) -> Provider:
        return self._attempts.provider(name)

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
            outcome = await self._attempts.attempt(submission, draft)
        except NotClaimed:
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
