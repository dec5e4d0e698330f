"""The background lane: jobs take turns at the CPU and give their turn back while they wait."""

from __future__ import annotations

import asyncio

from bot.lane import MAX_WAIT_SECONDS, QUIET_SECONDS, Lane, waiting
from tests.clock import ManualClock, settle
from tests.conftest import BotFactory, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.flows import open_form

FILLED = {"department": "vps", "subject": "db1 unreachable", "description": "Ping fails."}


async def test_at_most_slots_jobs_compute_at_once_first_come_first_served() -> None:
    lane, running, order = Lane(2), 0, []
    peak = 0

    async def job(n: int) -> None:
        nonlocal running, peak
        async with lane.slot():
            running += 1
            peak = max(peak, running)
            order.append(n)
            await asyncio.sleep(0)
            running -= 1

    await asyncio.gather(*(job(n) for n in range(6)))
    assert peak == 2 and order == list(range(6)) and lane.taken == 0


async def test_a_job_waiting_on_io_lets_the_next_one_in() -> None:
    lane, io_done, started = Lane(1), asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        async with lane.slot(), waiting():
            await io_done.wait()

    async def quick() -> None:
        async with lane.slot():
            started.set()

    first = asyncio.ensure_future(slow())
    await asyncio.sleep(0)
    await asyncio.wait_for(quick(), 1.0)  # would hang if the waiting job kept its slot
    io_done.set()
    await first
    assert started.is_set() and lane.taken == 0


async def test_back_from_io_a_job_never_queues_so_jobs_cannot_wait_on_each_other() -> None:
    # NOTE: the shape of a shared look-up: B holds the only slot and waits for A's answer,
    # while A, back from its I/O, must carry on without a slot.
    lane, answer = Lane(1), asyncio.get_running_loop().create_future()

    async def a() -> None:
        async with lane.slot():
            async with waiting():
                await asyncio.sleep(0)
            answer.set_result("form")

    async def b() -> str:
        async with lane.slot():
            return str(await answer)

    results = await asyncio.wait_for(asyncio.gather(a(), b()), 1.0)
    assert results[1] == "form" and lane.taken == 0


async def test_a_cancelled_waiter_leaks_no_slot() -> None:
    lane, release = Lane(1), asyncio.Event()

    async def hold() -> None:
        async with lane.slot():
            await release.wait()

    holder = asyncio.ensure_future(hold())
    await asyncio.sleep(0)
    queued = asyncio.ensure_future(hold())
    await asyncio.sleep(0)
    assert lane.queued == 1
    queued.cancel()
    release.set()
    await holder
    assert lane.taken == 0 and lane.queued == 0
    async with lane.slot():
        assert lane.taken == 1


async def test_work_spawned_by_a_job_takes_no_slot_after_the_job_ends() -> None:
    lane, io_done = Lane(1), asyncio.Event()
    spawned: list[asyncio.Task[None]] = []

    async def refresh() -> None:
        async with waiting():
            await io_done.wait()

    async with lane.slot():
        spawned.append(asyncio.ensure_future(refresh()))  # inherits the job's turn
        await asyncio.sleep(0)
    io_done.set()
    await spawned[0]
    assert lane.taken == 0


async def test_a_slow_provider_does_not_hold_up_the_next_modal(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup, timeout=30), options="background_slots = 1")
    view_id = await open_form(bot)
    answer = asyncio.Event()
    hostup.fail(hold=answer, path_contains="/support/tickets")  # the filing waits on HostUp
    await bot.driver.submit(view_id, FILLED)
    await slack.until(lambda: hostup.requests[-1].method == "POST", "the filing's POST")
    await bot.driver.command("")
    await slack.wait_for("views.open", count=2)  # its turn came while the filing waited
    assert not hostup.tickets
    answer.set()
    await slack.wait_for_text(view_id, ":white_check_mark: Filed")


async def test_deferred_jobs_wait_while_slack_is_answered_then_trickle_once_overdue() -> None:
    clock = ManualClock()
    lane, steps = Lane(4, trickle=0.01, max_wait=0.2, clock=clock), []

    async def deferred(n: int) -> None:
        async with lane.slot(deferred=True):
            steps.append(f"{n} starts")
            async with waiting():  # e.g. the provider call
                await asyncio.sleep(0)
            steps.append(f"{n} goes on")

    with lane.answering():
        jobs = [asyncio.ensure_future(deferred(n)) for n in range(3)]
        await clock.advance(0.1)
        assert steps == [] and lane.queued == 3  # a short burst: Slack's requests alone
        async with lane.slot(first=True):  # a modal's job does not wait behind them
            pass
        await clock.advance(0.115)  # overdue now (0.2 s since deferred): one step a tick
        assert steps == ["0 starts"]
        # NOTE: a job's age counts from when it was deferred: back from I/O it does not wait
        # again for max_wait; five more ticks finish all three while Slack is still answered
        await clock.advance(0.05)
        assert len(steps) == 6 and lane.answering_now == 1
    await asyncio.gather(*jobs)
    # in the order they came: a job back from I/O queues behind the steps already waiting
    assert steps == [f"{n} {what}" for what in ("starts", "goes on") for n in range(3)]
    assert lane.taken == 0


async def test_a_deferred_job_back_from_io_gives_way_holding_no_slot() -> None:
    clock = ManualClock()
    lane, steps = Lane(1, trickle=0.05, clock=clock), []

    async def deferred() -> None:
        async with lane.slot(deferred=True):
            with lane.answering():  # Slack's request arrives while the job waits on I/O
                async with waiting():
                    await asyncio.sleep(0)
                steps.append("back")

    await clock.advance(QUIET_SECONDS)  # quiet
    job = asyncio.ensure_future(deferred())
    await settle()
    assert steps == [] and lane.taken == 0  # parked after its I/O, its slot free
    async with lane.slot():
        pass
    await clock.advance(MAX_WAIT_SECONDS + 0.1)  # still answering: it goes once overdue
    await asyncio.wait_for(job, 1.0)
    assert steps == ["back"]


async def test_a_modal_job_starts_at_once_with_every_slot_taken_and_slack_answered() -> None:
    clock = ManualClock()
    lane, started = Lane(1, trickle=0.01, clock=clock), []
    release = asyncio.Event()

    async def job(name: str, *, first: bool = False) -> None:
        async with lane.slot(first=first):
            started.append(name)
            if name == "holder":
                await release.wait()

    with lane.answering():  # a burst: no lull to wait for
        holder = asyncio.ensure_future(job("holder"))
        await settle()
        queued = asyncio.ensure_future(job("queued"))
        await settle()
        modal = asyncio.ensure_future(job("modal", first=True))
        await settle()
        assert started == ["holder", "modal"] and lane.queued == 1  # over the limit, at once
        release.set()
        await asyncio.gather(holder, queued, modal)
    assert started == ["holder", "modal", "queued"] and lane.taken == 0

    with lane.answering():
        await asyncio.wait_for(job("alone", first=True), 1.0)  # a free slot: at once
    assert started[-1] == "alone"


async def test_the_job_a_lone_request_defers_starts_at_once_one_in_a_burst_waits() -> None:
    clock = ManualClock()
    lane, begun, burst_begun = Lane(4, trickle=0.01, clock=clock), [], asyncio.Event()
    with lane.answering():  # the request that defers it, and no other
        lane.defer(lambda _: begun.append("lone"))
    assert begun == ["lone"]
    await clock.advance(QUIET_SECONDS)  # quiet again
    with lane.answering(), lane.answering():  # another request is being answered too
        lane.defer(lambda _: burst_begun.set())
        assert not burst_begun.is_set() and lane.queued == 1
    await clock.advance(QUIET_SECONDS + 0.01)  # the burst is over
    assert burst_begun.is_set()
