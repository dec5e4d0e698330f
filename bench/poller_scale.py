"""The poller at scale (#32): ``python -m bench.poller_scale`` (about 4 minutes; PostgreSQL).

2,000 open tickets, 500 at each provider with a status read (HostUp, BillingServ, Pulse CRM,
ISPCRM), followed by two replicas of the bot (real processes) sharing one PostgreSQL
database, every provider at ``--poll-seconds`` (20 by default: short, so a run takes minutes;
the figures are per interval) with ``max_connections = --connections``. The fakes
(``bench.poll_fakes``, their own process) answer in ``--latency`` and hold HostUp and
BillingServ to a rate limit (``--limit`` requests per 10 s across replicas: one account),
answering 429 with Retry-After past it, as their docs say.

Phases: the cold start (every ticket due at once: none read yet), one interval to settle,
``--intervals`` intervals measured; then replica b is killed (SIGKILL) and the survivor is
watched for a claim's lease and half an interval, a bare poller (``bench.bare_poller``: the
same reads, none of the bot) running beside it for two intervals as the reference for CPU per
poll. Printed, each beside its target: reads per second against the even rate, peak requests
in flight per provider and replica against ``max_connections``, 429s seen and honoured, CPU
per poll, reads per ticket per interval, and the dead replica's share.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.backends import fresh_postgres
from bench.run import cpu_seconds, free_port, wait_healthy
from bot.background.pacing import PACE
from bot.tickets.following import POLL_LEASE
from tests.fakes.slack_api import BOT_TOKEN
from tests.followed import OPEN, provider_ticket
from tests.provider_cases import BY_KIND, provider_table
from tests.slack_driver import SIGNING_SECRET

KINDS = ("hostup", "billingserv", "pulse", "ispcrm")
PER_TICKET = KINDS[:3]  # ISPCRM's status read is its whole list: no one ticket's, at the fake
LIMITED = ("hostup", "billingserv")  # their docs say 429 with Retry-After
REPLICAS = ("a", "b")
GRACE = 0.5  # s after a 429 for reads already under way (and the other replica's next pass)
Entry = tuple[float, str, str, str, int]  # bench.poll_fakes: at, replica, provider, ticket, status
# NOTE: run in --bot-src (its bot package, its schema): tickets filed and carded, never read
SEED = """
import asyncio, json, sys, time
from bot.domain.tickets import TicketRef
from bot.store import Store

async def main(db, tickets):
    store = await Store.open(db)
    # NOTE: a store of repositories (store.tickets, ...), or an older one of mixins
    subs, records, cards = (getattr(store, a, store) for a in ("submissions", "tickets", "cards"))
    for kind, n, ticket_id, number, status in tickets:
        submission, _ = await subs.begin_submission(
            key=f"followed|{kind}|{n}", team_id="T0001", user_id="UANA", provider=kind,
            channel_id="C0GENERAL", thread_ts=None, draft="{}", first_attempt_by=time.time() + 60)
        ref = TicketRef(provider=kind, id=ticket_id, number=number, status=status)
        record = await records.record_ticket(
            submission=submission, ref=ref, subject=f"followed {n}", priority=None)
        card = f"1700000000.{n:06d}"
        await cards.set_card(record.id, channel_id="C0GENERAL", card_ts=card, thread_ts=card)
    await store.close()

asyncio.run(main(sys.argv[1], json.loads(sys.argv[2])))
"""


class Fleet:
    """The fakes, the database, the two replicas and the bare poller."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="ticketbot-poll-"))
        self.slack_port = free_port()
        self.ports = {kind: {r: free_port() for r in (*REPLICAS, "bare")} for kind in KINDS}
        self.first = {kind: 1 + 1000 * i for i, kind in enumerate(KINDS)}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.db = ""

    def url(self, kind: str, replica: str) -> str:
        return f"http://127.0.0.1:{self.ports[kind][replica]}"

    def spawn(
        self, name: str, args: list[str], env: dict[str, str] | None = None, cwd: str | None = None
    ) -> None:
        log = (self.tmp / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [sys.executable, *args],
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=cwd,
        )

    async def line(self, name: str) -> str:
        out = self.procs[name].stdout
        assert out is not None
        return (await asyncio.to_thread(out.readline)).decode()

    async def start_fakes(self) -> None:
        plan = {
            "slack": self.slack_port,
            "latency": self.args.latency,
            "providers": {
                kind: {
                    "ports": self.ports[kind],
                    "first": self.first[kind],
                    "tickets": self.args.tickets // len(KINDS),
                    "limit": self.args.limit if kind in LIMITED else None,
                }
                for kind in KINDS
            },
        }
        self.spawn("fakes", ["-m", "bench.poll_fakes", json.dumps(plan)])
        await self.line("fakes")

    async def seed(self) -> None:
        """The open tickets, recorded by the code under test (``--bot-src``: its schema)."""
        self.db = await fresh_postgres(self.args.postgres)
        per = self.args.tickets // len(KINDS)
        numbers = [(kind, self.first[kind] + i) for i in range(per) for kind in KINDS]
        tickets = [(kind, n, *provider_ticket(kind, n)[2:], OPEN[kind]) for kind, n in numbers]
        seed = await asyncio.create_subprocess_exec(
            sys.executable, "-c", SEED, self.db, json.dumps(tickets), cwd=self.args.bot_src
        )
        if await seed.wait() != 0:
            raise RuntimeError("seeding failed")

    def config(self, replica: str) -> Path:
        extra = (
            f"poll_seconds = {self.args.poll_seconds:g}\n"
            f"max_connections = {self.args.connections}\ntimeout_seconds = 5\n"
        )
        tables = "".join(
            provider_table(BY_KIND[kind], self.url(kind, replica), extra=extra) for kind in KINDS
        )
        path = self.tmp / f"{replica}.toml"
        path.write_text(f"[ticketbot]\nreplica_timeout_seconds = 10\n\n{tables}", "utf-8")
        return path

    async def start_replicas(self) -> None:
        urls = []
        for replica in REPLICAS:
            port = free_port()
            env = {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": f"http://127.0.0.1:{self.slack_port}/api/",
                "TICKETBOT_CONFIG": str(self.config(replica)),
                "TICKETBOT_DB": self.db,
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "METRICS_PORT": "0",
                "LOG_FORMAT": "json",
            }
            for kind in KINDS:
                env.update(BY_KIND[kind].env)
            self.spawn(replica, ["-m", "bot", "run"], env, cwd=self.args.bot_src)
            urls.append(f"http://127.0.0.1:{port}")
        await asyncio.gather(*(wait_healthy(url) for url in urls))

    def start_bare(self, seconds: float) -> None:
        plan = {
            "db": self.db,
            "interval": self.args.poll_seconds,
            "seconds": seconds,
            "urls": {kind: self.url(kind, "bare") for kind in KINDS},
        }
        self.spawn("bare", ["-m", "bench.bare_poller", json.dumps(plan)])

    async def fetch(self, path: str) -> Any:
        async with httpx.AsyncClient(timeout=60) as client:
            return (await client.get(f"http://127.0.0.1:{self.slack_port}{path}")).json()

    async def log(self) -> list[Entry]:
        return [tuple(e) for e in await self.fetch("/_poll/log")]  # type: ignore[misc]

    async def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            proc.wait(timeout=15)
        if self.db:
            admin = await asyncpg.connect(self.args.postgres)
            try:
                name = self.db.rsplit("/", 1)[1]
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()


def reads(
    log: list[Entry], start: float, end: float, by: tuple[str, ...] = REPLICAS
) -> list[Entry]:
    """The bot's status reads answered 200 from ``start`` to ``end``."""
    return [e for e in log if start <= e[0] < end and e[3] and e[4] == 200 and e[1] in by]


def per_second(entries: list[Entry], start: float, end: float, size: float = 1.0) -> list[int]:
    """Entries per bucket of ``size`` seconds from ``start`` to ``end``."""
    counts = Counter(int((e[0] - start) // size) for e in entries)
    return [counts[n] for n in range(int((end - start) // size))]


def served(
    log: list[Entry], start: float, end: float, by: tuple[str, ...], args: argparse.Namespace
) -> float:
    """Tickets read: one per status read, and ISPCRM's (whose list reads serve several each)
    once an interval each."""
    one_each = sum(1 for e in reads(log, start, end, by) if e[2] in PER_TICKET)
    return one_each + args.tickets // len(KINDS) * (end - start) / args.poll_seconds


def spread(log: list[Entry], start: float, end: float, args: argparse.Namespace) -> dict[str, Any]:
    """Reads per tenth of an interval (and per second), per provider and of the three read a
    ticket at a time, against the even rate (ISPCRM: its list reads, each serving the ISPCRM
    tickets due at that moment)."""
    per = args.tickets // len(KINDS)
    tenth = args.poll_seconds / 10
    found: dict[str, Any] = {}
    for kind in (*KINDS, "all"):
        kinds = PER_TICKET if kind == "all" else (kind,)
        entries = [e for e in reads(log, start, end) if e[2] in kinds]
        counts = per_second(entries, start, end, tenth)
        seconds = per_second(entries, start, end)
        found[kind] = {
            "min": min(counts),
            "max": max(counts),
            "even": len(kinds) * per / 10,
            "second_min": min(seconds),
            "second_max": max(seconds),
            "second_even": len(kinds) * per / args.poll_seconds,
        }
    return found


def once_per_interval(
    log: list[Entry], start: float, end: float, interval: float
) -> dict[str, Any]:
    """Each ticket's reads from ``start`` to ``end`` (ISPCRM's aside: no one ticket's): how
    often it was read (an interval over its mean gap), the gaps, and how many reads each had."""
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    for e in reads(log, start - interval, end):
        if e[2] in PER_TICKET:
            times[(e[2], e[3])].append(e[0])
    by_ticket = [
        [(b - a) / interval for a, b in itertools.pairwise(ats) if start <= b < end]
        for ats in times.values()
    ]
    gaps = [gap for ticket in by_ticket for gap in ticket]
    rates = [1 / statistics.mean(ticket) for ticket in by_ticket if ticket]
    counts = Counter(sum(start <= at < end for at in ats) for ats in times.values())
    return {
        "tickets": len(times),
        "rate_min": min(rates),
        "rate_max": max(rates),
        "counts": dict(sorted(counts.items())),
        "doubles": sum(gap < 0.5 for gap in gaps),
        "missed": sum(gap > 1.5 for gap in gaps),
        "gap_min": min(gaps),
        "gap_max": max(gaps),
    }


def honoured(log: list[Entry], told: list[list[Any]]) -> dict[str, int]:
    """429s: requests to the same provider inside a Retry-After (past ``GRACE``), by the
    replica told and by the other; and 429'd tickets never read afterwards."""
    same = other = 0
    by_kind: dict[str, list[Entry]] = defaultdict(list)
    for e in log:
        by_kind[e[2]].append(e)
    for at, replica, kind, retry_after in told:
        if replica not in REPLICAS:
            continue
        for e in by_kind[kind]:
            if e[1] in REPLICAS and at + GRACE < e[0] < at + retry_after:
                same += e[1] == replica
                other += e[1] != replica
    read_after: dict[tuple[str, str], float] = {}
    for e in log:
        if e[4] == 200:
            read_after[(e[2], e[3])] = max(read_after.get((e[2], e[3]), 0.0), e[0])
    dropped = sum(
        1
        for e in log
        if e[4] == 429 and e[3] not in ("", "*") and read_after.get((e[2], e[3]), 0.0) < e[0]
    )
    return {"same": same, "other": other, "dropped": dropped}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    fleet = Fleet(args)
    r: dict[str, Any] = {}
    interval = args.poll_seconds
    try:
        await fleet.start_fakes()
        await fleet.seed()
        await fleet.start_replicas()
        started = time.time()
        pids = {name: fleet.procs[name].pid for name in REPLICAS}
        await asyncio.sleep(interval)  # the cold start: every ticket due at once
        cold = reads(await fleet.log(), started, started + interval)
        firsts: dict[tuple[str, str], float] = {}
        for e in cold:
            if e[2] in PER_TICKET:
                firsts.setdefault((e[2], e[3]), e[0])
        r["cold_read"] = len(firsts)
        r["cold_s"] = max(firsts.values()) - started if firsts else None
        await asyncio.sleep(interval)  # every ticket on its slot
        log = await fleet.log()
        held = {e[2] for e in log if e[4] == 429}  # NOTE: a 429 holds its whole provider
        later = [e for e in reads(log, started + interval, time.time()) if e[2] in PER_TICKET]
        late = {(e[2], e[3]): e[0] for e in reversed(later) if (e[2], e[3]) not in firsts}
        r["cold_late"] = {"read": len(late), "held": sum(kind in held for kind, _ in late)}
        r["cold_late"]["by_s"] = max(late.values()) - started if late else 0.0
        r["cold_max"] = max(per_second(cold, started, started + interval))
        start = time.time()
        cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
        await asyncio.sleep(args.intervals * interval)
        cpu = {name: cpu_seconds(pid) - cpu[name] for name, pid in pids.items()}
        end = time.time()
        log = await fleet.log()
        r["window"] = (start, end)
        r["spread"] = spread(log, start, end, args)
        r["cpu_us"] = sum(cpu.values()) / served(log, start, end, REPLICAS, args) * 1e6
        r["reads_by"] = dict(Counter(e[1] for e in reads(log, start, end)))
        r["once"] = once_per_interval(log, start, end, interval)
        r["steady_429"] = sum(e[4] == 429 for e in log if start <= e[0] < end)
        if args.kill:
            # NOTE: b dies with reads in hand: its requests go unanswered for a second first
            async with httpx.AsyncClient() as client:
                await client.post(f"http://127.0.0.1:{fleet.slack_port}/_poll/stall?replica=b")
            await asyncio.sleep(1.0)
            fleet.procs["b"].send_signal(signal.SIGKILL)
            killed = time.time()
            await asyncio.sleep(interval)  # the survivor takes b's share
            fleet.start_bare(2 * interval)
            survivor, bare_started = cpu_seconds(pids["a"]), time.time()
            bare = json.loads(await fleet.line("bare"))  # NOTE: printed when it is done
            survivor, bare_end = cpu_seconds(pids["a"]) - survivor, time.time()
            r["bare"] = {"reads": bare["reads"], "cpu_us": bare["cpu_s"] / bare["reads"] * 1e6}
            log = await fleet.log()
            r["survivor_cpu_us"] = (
                survivor / served(log, bare_started, bare_end, ("a",), args) * 1e6
            )
            await asyncio.sleep(max(0.0, killed + POLL_LEASE + interval / 2 - time.time()))
            log = await fleet.log()
            after = {(e[2], e[3]) for e in reads(log, killed, killed + 1.1 * interval, ("a",))}
            followed = {(e[2], e[3]) for e in reads(log, start, end) if e[2] in PER_TICKET}
            late = followed - after
            back: dict[tuple[str, str], float] = {}
            for e in reads(log, killed + interval, time.time(), ("a",)):
                back.setdefault((e[2], e[3]), e[0])  # the first read after
            in_hand = {(e[2], e[3]) for e in log if e[1] == "b" and e[4] == 0} & followed
            r["kill"] = {
                "in_hand": len(in_hand),
                "read_within_interval": len(after & followed),
                "followed": len(followed),
                "late": len(late),
                "late_after_s": max((back[k] - killed for k in late if k in back), default=0),
                "late_never": sum(k not in back for k in late),
            }
        (fleet.tmp / "log.json").write_text(json.dumps(log), "utf-8")  # for a post-mortem
        r["peaks"] = await fleet.fetch("/_poll/peaks")
        told = await fleet.fetch("/_poll/told")
        r["429s"] = dict(Counter(t[2] for t in told))
        r["honoured"] = honoured(log, told)
    finally:
        await fleet.stop()
        print(f"process logs: {fleet.tmp}", file=sys.stderr)
    return r


def report(r: dict[str, Any], args: argparse.Namespace) -> str:
    rows: list[tuple[str, str, str, str]] = []

    def row(name: str, value: str, target: str = "", ok: bool | None = None) -> None:
        rows.append((name, value, target, "" if ok is None else ("✓" if ok else "✗")))

    per = args.tickets // len(KINDS)
    even = args.tickets / args.poll_seconds
    followed = len(PER_TICKET) * per
    late = r["cold_late"]
    row(
        "cold start (every ticket due at once): tickets read within the first interval, in s",
        f"{r['cold_read']} of {followed}, {r['cold_s']:.1f}",
        f"all but those of a provider a 429 held, ≤ {args.poll_seconds:g}",
        r["cold_read"] + late["held"] == followed and r["cold_s"] <= args.poll_seconds,
    )
    row(
        "  the rest: read by s (of them, of a provider a 429 held)",
        f"{late['read']} ({late['held']}), {late['by_s']:.1f}",
        f"≤ {2 * args.poll_seconds:g}",
        late["read"] == followed - r["cold_read"] and late["by_s"] <= 2 * args.poll_seconds,
    )
    bound = len(REPLICAS) * (PACE * even + len(KINDS) * (args.connections // 2))
    row(
        "cold start: reads in its busiest second",
        str(r["cold_max"]),
        f"≤ {bound:.0f} (2 × 1.5 × even + burst)",
        r["cold_max"] <= bound,
    )
    tenth = f"{args.poll_seconds / 10:g} s"
    for kind, s in r["spread"].items():
        name = "all three" if kind == "all" else kind
        value = f"{s['min']} / {s['max']} (per s: {s['second_min']} / {s['second_max']})"
        if kind == "ispcrm":
            row(f"list reads per {tenth}, {name} (one serves a moment's tickets)", value)
            continue
        ok = s["min"] >= 0.85 * s["even"] and s["max"] <= 1.15 * s["even"]
        row(
            f"reads per {tenth} (a tenth of the interval), {name}: min / max",
            value,
            f"{s['even']:g} ± 15 % (per s: {s['second_even']:g})",
            ok,
        )
    half = args.connections // 2
    for kind, peaks in r["peaks"].items():
        ok = max(peaks.get("a", 0), peaks.get("b", 0)) <= half
        row(
            f"peak requests in flight, {kind}: a / b / both",
            f"{peaks.get('a', 0)} / {peaks.get('b', 0)} / {peaks.get('both', 0)}",
            f"≤ {half} a replica (max_connections {args.connections})",
            ok,
        )
    h = r["honoured"]
    row("429s answered (all phases)", f"{sum(r['429s'].values())} {r['429s'] or ''}")
    row(
        f"requests inside a Retry-After, > {GRACE:g} s after the 429: replica told / other",
        f"{h['same']} / {h['other']}",
        "0 / 0",
        h["same"] == 0 and h["other"] == 0,
    )
    row("tickets that got a 429, never read again", str(h["dropped"]), "0", h["dropped"] == 0)
    row("429s in the measured intervals", str(r["steady_429"]), "0", r["steady_429"] == 0)
    if "bare" in r:
        row(
            "CPU per poll µs: ticketbot (the survivor alone) / bare poller",
            f"{r['survivor_cpu_us']:.0f} / {r['bare']['cpu_us']:.0f}"
            f" ({r['survivor_cpu_us'] / r['bare']['cpu_us']:.2f}×)",
        )
    row("CPU per poll µs: ticketbot, both replicas, the measured intervals", f"{r['cpu_us']:.0f}")
    once = r["once"]
    row(
        f"reads per ticket per interval ({once['tickets']} tickets): min / max",
        f"{once['rate_min']:.2f} / {once['rate_max']:.2f}",
        "1.00 / 1.00 (± 0.05)",
        once["rate_min"] >= 0.95 and once["rate_max"] <= 1.05,
    )
    row(
        f"  reads per ticket in the {args.intervals} intervals measured",
        ", ".join(f"{n}: {count}" for n, count in once["counts"].items()),
    )
    row(
        "  gap between a ticket's reads, min / max (intervals)",
        f"{once['gap_min']:.2f} / {once['gap_max']:.2f}",
        "≥ 0.5 / ≤ 1.5",
        once["gap_min"] >= 0.5 and once["gap_max"] <= 1.5,
    )
    row(
        "  a ticket read twice within half an interval / not within 1.5",
        f"{once['doubles']} / {once['missed']}",
        "0 / 0",
        once["doubles"] == 0 and once["missed"] == 0,
    )
    row("  reads by replica a / b", " / ".join(str(r["reads_by"].get(x, 0)) for x in REPLICAS))
    if "kill" in r:
        k = r["kill"]
        row(
            "b killed (its reads unanswered for 1 s first): tickets the survivor read within"
            " one interval",
            f"{k['read_within_interval']} of {k['followed']}",
            f"all but b's claims ({k['late']}; its reads in hand: {k['in_hand']})",
            k["read_within_interval"] + k["late"] == k["followed"] and k["late"] >= k["in_hand"],
        )
        row(
            "  b's claims: all read by the survivor within (s)",
            f"{k['late_after_s']:.0f} ({k['late_never']} never)",
            f"≤ {POLL_LEASE + args.poll_seconds / 2:.0f} (the claim's lease, 120)",
            k["late_never"] == 0,
        )
    lines = ["| figure | measured | target | |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(x) + " |" for x in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.poller_scale", description=__doc__)
    parser.add_argument("--tickets", type=int, default=2000, help="open tickets, all providers")
    parser.add_argument("--poll-seconds", type=float, default=20.0)
    parser.add_argument("--intervals", type=int, default=3, help="intervals measured")
    parser.add_argument("--connections", type=int, default=8, help="max_connections")
    parser.add_argument("--latency", type=float, default=0.02, help="provider latency, s")
    parser.add_argument("--limit", type=int, default=300, help="HostUp/BillingServ per 10 s")
    parser.add_argument("--kill", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--postgres", default="postgresql://127.0.0.1:5432/postgres")
    parser.add_argument(
        "--bot-src", help="another checkout to run the replicas from (an A/B), e.g. main's"
    )
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(json.dumps(results), file=sys.stderr)
    print(
        f"ticketbot poller at scale: {args.tickets} open tickets, {len(KINDS)} providers, "
        f"poll_seconds {args.poll_seconds:g}, 2 replicas on PostgreSQL, {os.cpu_count()} cores"
    )
    print(report(results, args))


if __name__ == "__main__":
    main()
