"""What must happen once when several processes share one database, on both backends: two
``Store`` instances on one database stand for two replicas."""

from __future__ import annotations

import asyncio
import time

from bot.domain.records import Submission, SubmissionState
from bot.domain.tickets import TicketRef
from bot.store import Store
from bot.store.migrations import MIGRATIONS
from bot.store.store import is_postgres


async def _two(where: str) -> tuple[Store, Store]:
    if not is_postgres(where):  # NOTE: one process per SQLite file: they start one by one
        first = await Store.open(where)
        return first, await Store.open(where)
    # NOTE: opened together, as replicas starting at once: they migrate once between them
    first, second = await asyncio.gather(Store.open(where), Store.open(where))
    return first, second


async def _begin(store: Store, key: str) -> Submission:
    submission, _ = await store.submissions.begin_submission(
        key=key,
        team_id="T",
        user_id="U",
        provider="p",
        channel_id="C",
        thread_ts=None,
        draft="{}",
        first_attempt_by=time.time() + 60,
    )
    return submission


async def _filed_ticket(store: Store, key: str, number: str) -> int:
    submission = await _begin(store, key)
    record = await store.tickets.record_ticket(
        submission=submission,
        ref=TicketRef(provider="p", id=f"id-{number}", number=number),
        subject="s",
        priority=None,
    )
    return record.id


async def test_replicas_starting_together_migrate_once(store_at: str) -> None:
    a, b = await _two(store_at)
    try:
        assert await a.schema_version() == await b.schema_version() == len(MIGRATIONS)
    finally:
        await a.close()
        await b.close()


async def test_a_due_poll_and_an_owed_card_go_to_one_replica_only(store_at: str) -> None:
    a, b = await _two(store_at)
    try:
        await a.replicas.heartbeat()
        await b.replicas.heartbeat()
        ids = [await _filed_ticket(a, f"k{n}", str(n)) for n in range(30)]
        for ticket_id in ids:
            await a.cards.set_card(
                ticket_id, channel_id="C", card_ts=f"1.{ticket_id}", thread_ts="1"
            )
            await a.cards.owe_card(ticket_id, time.time() - 1)
        now = time.time()
        polls = await asyncio.gather(
            a.polls.tickets_to_poll(now, 50), b.polls.tickets_to_poll(now, 50)
        )
        cards = await asyncio.gather(
            a.cards.cards_due(now), b.cards.cards_due(now), a.cards.cards_due(now)
        )
        polled = [t.id for batch in polls for t in batch]
        carded = [t.id for batch in cards for t in batch]
        assert sorted(polled) == ids  # each due ticket read by one of them, none twice
        assert len(carded) == len(set(carded)) and len(carded) <= len(ids)
        assert await b.polls.tickets_to_poll(time.time(), 50) == []  # claimed for the interval
    finally:
        await a.close()
        await b.close()


async def test_a_submission_is_claimed_by_one_and_taken_over_only_when_its_claimer_died(
    store_at: str,
) -> None:
    a, b = await _two(store_at)
    try:
        await a.replicas.heartbeat()
        await b.replicas.heartbeat()
        submission = await _begin(a, "k")
        claims = await asyncio.gather(
            a.submissions.claim_submission(submission.id, "{}"),
            b.submissions.claim_submission(submission.id, "{}"),
        )
        assert sorted(claims) == [False, True]
        other = b if claims[0] else a  # the one that did not get it
        # the claimer is alive
        assert await other.submissions.resume_interrupted(dead_after=30) == 0
        # its heartbeat is too old
        assert await other.submissions.resume_interrupted(dead_after=0) == 1
        again = await other.submissions.submission(submission.id)
        assert again is not None and again.state is SubmissionState.RETRYING
    finally:
        await a.close()
        await b.close()


async def test_a_mark_is_won_once_across_replicas_per_interval(store_at: str) -> None:
    a, b = await _two(store_at)
    try:
        won = await asyncio.gather(*(s.marks.once("alert:x", every=3600) for s in (a, b, a, b)))
        assert won.count(True) == 1
        assert await a.marks.once("alert:x", every=0)  # the interval passed
        assert await b.marks.once("ever") and not await a.marks.once("ever")
    finally:
        await a.close()
        await b.close()


async def test_an_event_is_remembered_once_across_replicas(store_at: str) -> None:
    a, b = await _two(store_at)
    try:
        seen = await asyncio.gather(*(s.marks.remember_event("Ev1") for s in (a, b, a)))
        assert seen.count(True) == 1
    finally:
        await a.close()
        await b.close()


async def test_a_claim_taken_over_is_fenced_at_the_send(store_at: str) -> None:
    """After a database outage a live replica can look dead for a moment, and another takes
    its claims over: the first may no longer mark its create sent (so it does not send), and
    the one that took it over may."""
    a, b = await _two(store_at)
    try:
        submission = await _begin(a, "k-fence")
        assert await a.submissions.claim_submission(submission.id, "{}")
        await b.replicas.heartbeat()  # NOTE: a has not beaten since: b takes it for stopped
        assert await b.submissions.resume_interrupted(dead_after=60) == 1
        # a lost its claim: it must not send
        assert await a.submissions.mark_sent(submission.id) is False
        assert await b.submissions.claim_submission(submission.id, "{}")
        assert await b.submissions.mark_sent(submission.id) is True
    finally:
        await a.close()
        await b.close()


async def test_an_attempts_outcome_landing_after_a_take_over_changes_nothing(store_at: str) -> None:
    """An outcome kept in memory through a database outage (parked, failed, unsure) lands
    after another replica took the submission over and filed it: it must not put the
    submission back in the queue, where it would be sent again without a twin check."""
    a, b = await _two(store_at)
    try:
        submission = await _begin(a, "k-late")
        assert await a.submissions.claim_submission(submission.id, "{}")
        await b.replicas.heartbeat()
        assert await b.submissions.resume_interrupted(dead_after=60) == 1
        assert await b.submissions.claim_submission(submission.id, "{}")
        await b.tickets.record_ticket(
            submission=submission,
            ref=TicketRef(provider="p", id="id-1", number="1"),
            subject="s",
            priority=None,
        )
        kept = a.submissions.schedule_retry(
            submission.id, at=0, reason="away", check_twin=False, claimed=True
        )
        assert await kept is False
        assert await a.submissions.fail_submission(submission.id, "x", claimed=True) is False
        assert await a.submissions.mark_unsure(submission.id, "x", claimed=True) is False
        assert await b.submissions.due_submissions(time.time() + 60) == []
    finally:
        await a.close()
        await b.close()
