"""The cards' bookkeeping: where each submission's card went, so the next attempt updates it in
place, and which filed tickets still owe theirs (Slack would not take it), tried again with
back-off by the retry worker.

Slack itself is the Slack layer's (``ShowsOutcomes``): this service records what it posted,
in order, before the rest is told (the App Home a filing refreshes reads the card's place).
"""

from __future__ import annotations

import logging
import time

from bot.domain.drafts import Draft
from bot.domain.errors import AdminFixable
from bot.domain.records import Submission, TicketRecord
from bot.metrics import Metrics
from bot.store.cards import CardQueries
from bot.tickets.notices import AdminNotices
from bot.tickets.outcomes import (
    CardRefused,
    Filed,
    Outcome,
    Posted,
    Queued,
    ShowsOutcomes,
    Unsure,
    Wakeup,
)

log = logging.getLogger(__name__)
CARD_RETRY_MAX = 600.0  # an owed card is tried at least this often…
CARD_RETRY_FOR = 86_400.0  # …for a day after filing


class Cards:
    """``Announces`` for the filing service: counts each outcome, has it shown, and keeps
    where its card is (or that it is owed)."""

    def __init__(
        self,
        cards: CardQueries,
        shows: ShowsOutcomes,
        notices: AdminNotices,
        wakeup: Wakeup,
        metrics: Metrics,
        *,
        first_retry: float,
    ) -> None:
        self._cards = cards
        self._shows = shows
        self._notices = notices
        self._wakeup = wakeup
        self._metrics = metrics
        self._first_retry = first_retry

    async def outcome(self, outcome: Outcome, *, view_id: str | None) -> None:
        kind = type(outcome).__name__.lower().replace("gaveup", "gave_up")
        self._metrics.tickets.labels(outcome.draft.provider, kind).inc()
        card: Posted | None
        if isinstance(outcome, Filed):
            card = await self._filed_card(outcome)
        else:
            card = await self._shows.card(outcome)
            first = not outcome.submission.card_ts
            if isinstance(outcome, Queued | Unsure) and card.ts is not None and first:
                await self._cards.set_submission_card(
                    outcome.submission.id, channel_id=card.channel_id, card_ts=card.ts
                )
        await self._shows.tell(outcome, card, view_id=view_id)

    async def _filed_card(self, filed: Filed) -> Posted | None:
        """The ticket card, and where it went. The ticket exists: a card Slack will not take
        now is owed (the filer still gets the number privately); never "submit again"."""
        record = filed.record
        try:
            card = await self._shows.card(filed)
        except CardRefused as exc:
            await self._cards.owe_card(record.id, time.time() + self._first_retry)
            self._wakeup.set()  # the retry worker posts owed cards too
            log.warning(
                "filed, but the card could not be posted; it will be tried again",
                extra={"ticket": record.number, "error": exc.message},
            )
            return None
        await self._record(record, card)
        return card

    async def failed(
        self, submission: Submission, draft: Draft, error: Exception, ref: str
    ) -> None:
        """A retry the user or an admin must fix: the filer hears (thread or DM), and the
        admin channel once for configuration problems."""
        self._metrics.tickets.labels(draft.provider, "failed").inc()
        await self._shows.failed(submission, draft, error, ref)
        if isinstance(error, AdminFixable):
            await self._notices.needs_admin(error, ref)

    async def post_owed(self, now: float) -> None:
        """Post the cards Slack would not take when their tickets were filed, as they fall due."""
        for record in await self._cards.cards_due(now):
            await self._post_owed(record)

    async def next_due_at(self) -> float | None:
        """When the next owed card falls due, if one does."""
        return await self._cards.next_card_due_at()

    async def _post_owed(self, record: TicketRecord) -> None:
        """Post one owed card; later again if Slack still will not take it (backing off to
        every 10 minutes, for a day)."""
        if (ts := await self._shows.card_in_channel(record)) is not None:
            # NOTE: a process that stopped between posting the card and saving where it went
            assert record.channel_id is not None
            await self._cards.set_card(
                record.id,
                channel_id=record.channel_id,
                card_ts=ts,
                thread_ts=record.thread_ts or ts,
            )
            return
        try:
            card = await self._shows.owed_card(record)
        except CardRefused as exc:
            age = time.time() - record.created_at
            retry = (
                None
                if age > CARD_RETRY_FOR
                else time.time() + min(CARD_RETRY_MAX, max(self._first_retry, age / 2))
            )
            await self._cards.owe_card(record.id, retry)
            log.warning(
                "card still not posted",
                extra={"ticket": record.number, "error": exc.message, "again": retry is not None},
            )
            return
        await self._record(record, card)

    async def _record(self, record: TicketRecord, card: Posted) -> None:
        if card.ts is None:  # only the filer saw it, privately: no card is owed any more
            await self._cards.owe_card(record.id, None)
            return
        await self._cards.set_card(
            record.id,
            channel_id=card.channel_id,
            card_ts=card.ts,
            thread_ts=card.thread_ts or card.ts,
        )
