"""Retries parked submissions when they fall due, until filed or the window runs out; takes
over a saved submission whose first attempt never started; and posts ticket cards Slack would
not take when the ticket was filed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time

from bot.deps import Deps
from bot.domain.drafts import Draft, view_id_of
from bot.domain.errors import TicketbotError
from bot.domain.records import Submission, SubmissionState
from bot.slack.announce import Announcer
from bot.slack.details import with_slack_details

log = logging.getLogger(__name__)
IDLE_SECONDS = 5.0


class RetryWorker:
    def __init__(self, deps: Deps, announcer: Announcer) -> None:
        self._deps = deps
        self._announcer = announcer
        self.wake = asyncio.Event()  # set when a retry is scheduled sooner than we sleep
        self._stopping = False

    def stop(self) -> None:
        """Finish the pass under way (its attempts and cards), then end."""
        self._stopping = True
        self.wake.set()

    async def run(self) -> None:
        """Until stopped: retry what is due, then sleep until the next is due (at most 5 s)."""
        while not self._stopping:
            wait = IDLE_SECONDS
            try:
                # NOTE: side by side: after an outage hundreds fall due, each waiting on the
                # provider; one after another they would drain at a few per second.
                store = self._deps.store
                due = await store.due_submissions(time.time())
                await asyncio.gather(*(self.retry(submission) for submission in due))
                for record in await store.cards_due(time.time()):
                    await self._announcer.post_owed_card(record)
                nexts = (await store.next_due_at(), await store.next_card_due_at())
                if known := [at for at in nexts if at is not None]:
                    wait = min(IDLE_SECONDS, max(0.01, min(known) - time.time()))
            except Exception:
                # NOTE: no user is waiting on a pass; the next one tries again
                log.exception("retry worker pass failed", extra={"ref": secrets.token_hex(4)})
            if self._stopping:
                return
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=wait)

    async def retry(self, submission: Submission) -> None:
        draft = Draft.model_validate_json(submission.draft)
        try:
            async with self._deps.lane.slot(deferred=True):
                if submission.state is SubmissionState.PENDING:
                    # NOTE: its first attempt died before it started: take it over, with what
                    # that attempt would have added
                    draft = await with_slack_details(self._deps.users, self._deps.slack, draft)
                outcome = await self._deps.filing.attempt(submission, draft)
        except Exception as exc:
            # NOTE: the submission is marked failed (draft kept); its filer hears of it here.
            ref = secrets.token_hex(4)
            if isinstance(exc, TicketbotError):
                log.warning("retry needs a person: %s", exc, extra={"ref": ref})
            else:
                log.error("retry failed unexpectedly", exc_info=exc, extra={"ref": ref})
            await self._announcer.failed(submission, draft, exc, ref)
            return
        if outcome is not None:
            # NOTE: the modal may still be open (view id = key); updating a closed one is a no-op
            await self._announcer.outcome(outcome, view_id=view_id_of(submission.key))
