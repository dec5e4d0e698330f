"""The one owner of background work: spawn, defer in the lane's turn, drain, close, and the one
place a failure nobody caught goes."""

from __future__ import annotations

import asyncio
import inspect

from bot.background.jobs import Jobs
from bot.lane import Lane
from tests.clock import ManualClock, settle


async def test_a_deferred_job_is_no_task_until_its_turn_and_a_drain_begins_the_rest() -> None:
    clock = ManualClock()
    lane = Lane(4, trickle=0.01, max_wait=0, clock=clock)
    jobs, begun = Jobs(lane), []
    tasks_before = len(asyncio.all_tasks())

    async def job(n: int) -> None:
        begun.append(n)

    with lane.answering(), lane.answering():  # a burst: two requests in flight
        for n in range(1, 6):
            jobs.defer(job(n))
        assert len(asyncio.all_tasks()) == tasks_before  # queued entries, not tasks
        assert lane.queued == 5 and len(jobs) == 5
        await clock.advance(0.02)  # two ticks: one job each, in order
        assert begun == [1, 2] and lane.queued == 3
        assert await jobs.drain(1.0) == 0  # draining: the rest begin now, Slack or not
        assert begun == [1, 2, 3, 4, 5] and lane.queued == 0 and jobs.idle
        late = job(6)
        jobs.defer(late)
    await jobs.close()  # gone without a drain: what never began is dropped, not begun
    assert begun == [1, 2, 3, 4, 5] and lane.queued == 0 and jobs.idle
    assert inspect.getcoroutinestate(late) == inspect.CORO_CLOSED  # no "never awaited"
    assert lane.taken == 0


async def test_a_drain_waits_for_jobs_spawned_meanwhile_and_parks_what_overruns() -> None:
    lane = Lane(4)
    jobs, done = Jobs(lane), []
    never = asyncio.Event()

    async def second() -> None:
        done.append("second")

    async def first() -> None:
        await asyncio.sleep(0)
        jobs.spawn(second())  # spawned while the drain waits: it gets the same deadline
        done.append("first")

    async def stuck() -> None:
        await never.wait()

    async def loop() -> None:  # a loop told to stop, ending on its own
        await asyncio.sleep(0)

    jobs.spawn(first())
    jobs.spawn(stuck(), first=True)
    looping = asyncio.ensure_future(loop())
    assert await jobs.drain(0.05, alongside=[looping]) == 1  # the stuck one, not the loop
    assert done == ["first", "second"] and looping.done() and jobs.idle
    assert lane.taken == 0  # the parked job's slot came back with its cancellation


async def test_a_failure_goes_to_the_job_that_can_tell_or_else_to_the_one_handler() -> None:
    lane = Lane(1)
    heard: list[str] = []
    jobs = Jobs(lane, exception_handler=lambda exc: heard.append(f"handler: {exc}"))

    async def fails(why: str) -> None:
        raise RuntimeError(why)

    async def tell(exc: Exception) -> None:
        heard.append(f"told: {exc} (slots taken: {lane.taken})")

    jobs.spawn(fails("modal"), first=True, failed=tell)  # the slot is back before it tells
    jobs.spawn(fails("nobody's"))
    jobs.defer(fails("deferred"), failed=tell)
    await settle()
    assert await jobs.drain(1.0) == 0
    assert sorted(heard) == [
        "handler: nobody's",
        "told: deferred (slots taken: 0)",
        "told: modal (slots taken: 0)",
    ]
    await jobs.close()
    jobs.spawn(fails("after close"))  # closed: dropped, never run
    await settle()
    assert len(heard) == 3
