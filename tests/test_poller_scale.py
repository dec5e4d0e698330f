"""The status poller with many open tickets: reads spread evenly over each provider's interval,
a 429 holding that provider only, its connections never all taken by polls, and replicas
sharing the database reading each ticket once per interval (a dead one's share taken over).

Time is a ``ManualClock``: each step is one pass of each replica, its reads finished, then the
clock moves on; what the fake provider received in a step is stamped with the step's time.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.background.pacing import PACE
from bot.background.poller import StatusPoller
from bot.compose import Bot, compose
from bot.providers.base import SupportsStatus
from bot.runtime import poller
from bot.settings import load_settings
from bot.store import Store
from bot.tickets.following import POLL_LEASE
from tests.clock import ManualClock
from tests.conftest import base_env, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.followed import put_at_fake, record_followed, seed_followed
from tests.provider_cases import BY_KIND
from tests.test_contract import make_provider

START = 1_800_000_000.0  # the manual clock's epoch seconds
TICKETS = 300
INTERVAL = 60.0
BUCKET = 6.0  # ten buckets per interval
EVEN = TICKETS / (INTERVAL / BUCKET)  # reads per bucket if spread evenly


@dataclass
class Replica:
    bot: Bot
    poller: StatusPoller
    fake: FakeHostUp  # where its reads go


@dataclass
class Reads:
    """What the fakes received, as (time, replica, ticket id), stamped step by step."""

    replicas: dict[str, Replica]
    seen: dict[str, int] = field(default_factory=dict)
    log: list[tuple[float, str, str]] = field(default_factory=list)

    def take(self, now: float) -> None:
        for name, replica in self.replicas.items():
            requests = replica.fake.requests
            for request in requests[self.seen.get(name, 0) :]:
                if request.method == "GET" and "/support/tickets/tkt_" in request.path:
                    self.log.append((now, name, request.path.rsplit("/", 1)[1]))
            self.seen[name] = len(requests)

    def between(self, start: float, end: float, by: str = "") -> list[tuple[float, str, str]]:
        """The reads from ``start`` to ``end`` seconds after START (by one replica's fake)."""
        return [read for read in self.log if start <= read[0] - START < end and by in ("", read[1])]

    def buckets(self, start: float, end: float, by: str = "") -> list[int]:
        """Reads per ``BUCKET`` seconds from ``start`` to ``end``."""
        reads = self.between(start, end, by)
        counts = Counter(int((at - START - start) // BUCKET) for at, _, _ in reads)
        return [counts[n] for n in range(int((end - start) // BUCKET))]


async def until(check: Callable[[], Awaitable[bool]], what: str, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


async def claimed(store: Store, ids: Iterable[int], now: float) -> set[int]:
    """The tickets claimed for a read now under way (a read's next slot is nearer)."""
    tickets = [await store.tickets.ticket(i) for i in ids]
    return {t.id for t in tickets if t and t.next_poll_at > now + POLL_LEASE - 10}


@asynccontextmanager
async def replica(
    tmp_path: Path, slack: FakeSlack, config: str, db: str, clock: ManualClock, fake: FakeHostUp
) -> AsyncIterator[Replica]:
    """One process's poller (over the composition root's services, its loop not started:
    passes are driven by hand)."""
    home = tmp_path / secrets.token_hex(4)
    home.mkdir()
    (home / "ticketbot.toml").write_text(f"[ticketbot]\n\n{config}", encoding="utf-8")
    settings = load_settings({**base_env(home, slack), "TICKETBOT_DB": db})
    async with compose(settings, clock=clock.time) as bot:
        yield Replica(bot, poller(bot), fake)


async def drive(
    clock: ManualClock, replicas: Iterable[Replica], reads: Reads, seconds: float
) -> None:
    """One pass of every replica per second of the clock, for ``seconds``."""
    end = clock.now + seconds
    while clock.now < end:
        await asyncio.gather(*(r.poller.pass_once() for r in replicas))
        reads.take(clock.now)
        await clock.advance(1.0)


def table(fake: FakeHostUp, name: str = "hostup", connections: int = 20) -> str:
    extra = f"poll_seconds = {INTERVAL:g}\nmax_connections = {connections}"
    return hostup_table(fake, name=name, extra=extra, timeout=5)


async def test_reads_spread_evenly_over_the_interval_each_ticket_once_per_interval(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    """Two providers' tickets, filed in a random order: each provider's reads spread evenly
    over its interval (a ticket's slot goes by its place among its provider's)."""
    other = FakeHostUp()
    await other.start()
    clock = ManualClock(START)
    config = table(hostup) + table(other, name="other")
    order = ["hostup", "other"] * (TICKETS // 2)
    random.Random(32).shuffle(order)
    try:
        async with replica(tmp_path, slack, config, str(tmp_path / "t.db"), clock, hostup) as one:
            for n, name in enumerate(order, start=1):
                fake = hostup if name == "hostup" else other
                await seed_followed(one.bot.store, fake, "hostup", range(n, n + 1), name=name)
            reads = Reads({"hostup": one, "other": Replica(one.bot, one.poller, other)})
            await drive(clock, [one], reads, 250)
    finally:
        await other.stop()
    # a cold start (every ticket due at once) drains at the pace, not all at once
    assert len({ticket for _, _, ticket in reads.between(0, 45)}) == TICKETS
    for name in ("hostup", "other"):
        cold = reads.buckets(0, 60, name)
        assert max(cold) <= PACE * EVEN / 2 + 10, cold  # 10: the reads allowed at once
        # then each ticket has its slot: every bucket of an interval reads the same share
        steady = reads.buckets(130, 250, name)
        assert all(abs(count - EVEN / 2) <= 2 for count in steady), (name, steady)
    for start in (130, 190):
        per_ticket = Counter(ticket for _, _, ticket in reads.between(start, start + INTERVAL))
        assert len(per_ticket) == TICKETS and set(per_ticket.values()) == {1}


async def test_a_429_holds_that_provider_alone_and_its_ticket_is_read_after_retry_after(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    other = FakeHostUp()
    await other.start()
    clock = ManualClock(START)
    config = table(hostup) + table(other, name="other")
    try:
        async with replica(tmp_path, slack, config, str(tmp_path / "t.db"), clock, hostup) as one:
            ids = await seed_followed(one.bot.store, hostup, "hostup", range(1, TICKETS + 1))
            await seed_followed(one.bot.store, other, "hostup", range(1001, 1101), name="other")
            reads = Reads({"a": one, "other": Replica(one.bot, one.poller, other)})
            await drive(clock, [one], reads, 130)  # past the cold start
            # the ticket due next gets a 429 with Retry-After: 20
            tickets = [t for t in [await one.bot.store.tickets.ticket(i) for i in ids] if t]
            due = min(tickets, key=lambda t: t.next_poll_at)
            limited = due.provider_ticket_id
            hostup.fail(status=429, retry_after=20, path_contains=limited, method="GET")
            told_at = due.next_poll_at
            await clock.advance(told_at - clock.now)
            await drive(clock, [one], reads, 60)
    finally:
        await other.stop()
    told = told_at - START
    assert limited in {ticket for _, _, ticket in reads.between(told, told + 1, "a")}
    # nothing more to that provider until Retry-After is over; the other is read on
    assert reads.between(told + 1, told + 20, "a") == []
    assert len(reads.between(told, told + 20, "other")) >= 28  # 100 tickets a minute
    # the limited ticket is read later, not dropped; the backlog drains at the pace
    again = [at for at, _, ticket in reads.log if ticket == limited and at > told_at]
    assert again and told_at + 20 <= again[0] <= told_at + 20 + INTERVAL
    after = reads.buckets(told + 20, told + 56, "a")
    assert sum(after) > 0 and max(after) <= PACE * EVEN + 10, after


async def test_polls_leave_half_the_providers_connections_free(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    clock = ManualClock(START)
    held = asyncio.Event()
    hostup.fail(hold=held, times=10**6, method="GET", path_contains="/support/tickets/")
    config = table(hostup, connections=6)
    async with replica(tmp_path, slack, config, str(tmp_path / "t.db"), clock, hostup) as one:
        ids = await seed_followed(one.bot.store, hostup, "hostup", range(1, 51))
        store = one.bot.store
        for _ in range(5):  # every ticket is due; three reads at most are out at once
            await one.poller.dispatch()
            assert len(await claimed(store, ids, clock.now)) == 3
            await clock.advance(1.0)
        await slack.until(lambda: len(hostup.requests) == 3, "the three reads at HostUp")
        held.set()
        await one.poller.settled()
        for _ in range(60):
            await one.poller.pass_once()
            assert await claimed(store, ids, clock.now) == set()
            await clock.advance(1.0)
        assert len({r.path for r in hostup.requests}) == 50


async def test_two_replicas_read_each_ticket_once_per_interval_and_a_dead_ones_share_is_taken(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp, store_at: str
) -> None:
    second = FakeHostUp()  # the same provider, as replica b reaches it
    second.tickets = hostup.tickets
    await second.start()
    clock = ManualClock(START)
    try:
        async with (
            replica(tmp_path, slack, table(hostup), store_at, clock, hostup) as a,
            replica(tmp_path, slack, table(second), store_at, clock, second) as b,
        ):
            ids = await seed_followed(a.bot.store, hostup, "hostup", range(1, TICKETS + 1))
            reads = Reads({"a": a, "b": b})
            await drive(clock, [a, b], reads, 190)
            # b dies with the reads of its next pass in hand: sent, never answered
            held = asyncio.Event()
            second.fail(hold=held, times=10**6, method="GET")
            dying = asyncio.ensure_future(b.poller.pass_once())

            async def in_hand() -> bool:
                out = len(second.requests) - reads.seen["b"]
                return 0 < out == len(await claimed(a.bot.store, ids, clock.now))

            await until(in_hand, "b's reads at the provider")
            lost = {r.path.rsplit("/", 1)[1] for r in second.requests[reads.seen["b"] :]}
            died_at = clock.now
            dying.cancel()
            reads.replicas = {"a": a}
            await drive(clock, [a], reads, POLL_LEASE + 5)
            held.set()
    finally:
        await second.stop()
    by_replica = Counter(name for _, name, _ in reads.between(130, 190))
    assert by_replica["a"] > 0 and by_replica["b"] > 0
    per_ticket = Counter(t for _, _, t in reads.between(130, 190))
    assert len(per_ticket) == TICKETS and set(per_ticket.values()) == {1}
    assert max(reads.buckets(130, 190)) <= 1.1 * EVEN
    # after b died, a reads every ticket b did not hold, once an interval
    since = died_at - START
    per_ticket = Counter(t for _, _, t in reads.between(since, since + INTERVAL))
    assert lost and set(per_ticket) == {t for _, _, t in reads.log} - lost
    assert set(per_ticket.values()) == {1}
    # and those b held once their claim lapses
    first: dict[str, float] = defaultdict(lambda: float("inf"))
    for at, _, ticket in reads.between(since, since + POLL_LEASE + 5):
        first[ticket] = min(first[ticket], at)
    assert all(died_at + POLL_LEASE <= first[t] <= died_at + POLL_LEASE + 5 for t in lost)


async def test_overlapping_ispcrm_status_reads_share_one_read_of_its_list() -> None:
    """ISPCRM's only status read is the customer's whole list: the reads a pass makes at once
    share one request (one each would read every ticket once per ticket)."""
    case = BY_KIND["ispcrm"]
    fake = case.fake()
    await fake.start()
    put_at_fake(fake, "ispcrm", range(101, 121))
    held = asyncio.Event()
    fake.fail(hold=held, method="GET", path_contains="getCustomerTickets")

    def lists() -> int:
        return sum(1 for _, path in fake.seen if path.endswith("/getCustomerTickets"))

    try:
        async with httpx.AsyncClient() as client:
            provider = make_provider(case, fake.url, client, case.env)
            assert isinstance(provider, SupportsStatus)
            refs = [provider.ticket_ref(str(n), str(n), status="Open") for n in range(101, 121)]
            reads = [asyncio.ensure_future(provider.get(ref)) for ref in refs]
            await until(lambda: _now(lists() == 1), "the list read at ISPCRM")
            held.set()
            assert {s.status for s in await asyncio.gather(*reads)} == {"Open"}
            assert lists() == 1
            fake.tickets[105]["status"] = "Closed"  # type: ignore[attr-defined]
            assert (await provider.get(refs[4])).closed  # a read after reads the list again
            assert lists() == 2
    finally:
        await fake.stop()


async def _now(value: bool) -> bool:
    return value


async def test_a_hold_stops_every_replicas_claims_of_that_provider_alone(store_at: str) -> None:
    a = await Store.open(store_at)
    b = await Store.open(store_at)  # another replica on the same database
    try:
        await record_followed(a, "hostup", range(1, 6))
        await record_followed(a, "pulse", range(11, 16))
        now = time.time()
        await a.polls.hold_polls("hostup", now + 30)
        await b.polls.hold_polls("hostup", now + 10)  # a shorter hold does not cut it short
        assert (await b.polls.poll_plan())["hostup"].held_until == now + 30
        assert await b.polls.claim_polls("hostup", now, 10, POLL_LEASE) == []
        assert len(await b.polls.claim_polls("pulse", now, 10, POLL_LEASE)) == 5
        claimed = await a.polls.claim_polls("hostup", now + 31, 10, POLL_LEASE)
        assert [c.seq for c in claimed] == [1, 2, 3, 4, 5]  # its place among its provider's
    finally:
        await a.close()
        await b.close()
