"""The store backends side by side: ``python -m bench.backends``.

In one run on one machine: the bot on SQLite (one process), on PostgreSQL with one replica,
and on PostgreSQL with two replicas (requests spread over both, as a load balancer would),
each against the same fakes (HostUp answering in ``--latency`` seconds). Per setup: the ack
p50/p99 of ``/ticket`` and of a submit, ``/ticket`` → ``views.open`` p99, submit → card p99
(paced), and sustained tickets/s.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bench.run import (
    Rig,
    View,
    body_for,
    free_port,
    load,
    send,
    session,
    until,
    wait_healthy,
)
from bench.store_figures import p

SETUPS = (("SQLite, 1 process", "sqlite", 1), ("PostgreSQL, 1 replica", "postgresql", 1))
SETUPS += (("PostgreSQL, 2 replicas", "postgresql", 2),)


@dataclass
class Figures:
    command: list[float]
    submit: list[float]
    opened: list[float]
    cards: list[float]
    tickets_per_s: float


async def spread(
    urls: list[str], kind: str, count: int, concurrency: int, first: int, **kw: Any
) -> list[float]:
    """``load`` split evenly over ``urls``, all at once."""
    share = count // len(urls)
    views: list[View] | None = kw.get("views")
    parts = [
        load(
            url,
            kind,
            share,
            concurrency // len(urls),
            first + i * share,
            kw.get("sent"),
            [views.pop() for _ in range(share)] if views is not None else None,
        )
        for i, url in enumerate(urls)
    ]
    return [latency for part in await asyncio.gather(*parts) for latency in part]


async def cards_of(rig: Rig, subjects: set[str]) -> dict[str, float]:
    return {
        subject: at
        for text, at in await rig.json("/_bench/cards")
        for subject in subjects
        if f"· {subject} ·" in text
    }


async def measure(rig: Rig, urls: list[str], args: argparse.Namespace, first: int) -> Figures:
    n = args.requests
    sent: dict[str, float] = {}
    before = len(await rig.json("/_bench/views"))
    # NOTE: as many modals as the submits below need, each submitted once
    modals = n + args.paced + args.tput
    command = await spread(urls, "command", modals, args.concurrency, first, sent=sent)
    await asyncio.sleep(1)  # NOTE: the last modals open
    opened = await rig.json("/_bench/opened")
    ages = [opened[t] - at for t, at in sent.items() if t in opened]
    views: list[View] = [(str(v[0]), str(v[1])) for v in (await rig.json("/_bench/views"))[before:]]
    subjects = {f"s-{first + i}" for i in range(n)}
    submit = await spread(urls, "view_submission", n, args.concurrency, first, views=views)
    await until(lambda: _has(rig, subjects), within=300)
    # paced: submit → card, one request every 1/rate s, over the replicas in turn
    paced_first = first + modals
    paced: dict[str, float] = {}
    async with session(2) as client:
        for i in range(args.paced):
            body, _ = body_for("view_submission", paced_first + i, views.pop())
            paced[f"s-{paced_first + i}"] = time.time()
            await send(client, f"{urls[i % len(urls)]}/slack/events", body)
            await asyncio.sleep(1 / args.rate)
    await until(lambda: _has(rig, set(paced)), within=120)
    carded = await cards_of(rig, set(paced))
    cards = [carded[s] - at for s, at in paced.items()]
    # sustained: as fast as acks allow, until the last card is up
    tput_first = first + 2 * modals
    tput = {f"s-{tput_first + i}" for i in range(args.tput)}
    started = time.perf_counter()
    await spread(urls, "view_submission", args.tput, args.concurrency, tput_first, views=views)
    await until(lambda: _has(rig, tput), within=600)
    return Figures(command, submit, ages, cards, args.tput / (time.perf_counter() - started))


async def _has(rig: Rig, subjects: set[str]) -> bool:
    return len(await cards_of(rig, subjects)) == len(subjects)


async def fresh_postgres(admin_url: str) -> str:
    name = f"ticketbot_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return urlsplit(admin_url)._replace(path=f"/{name}").geturl()


async def run(args: argparse.Namespace) -> list[tuple[str, Figures]]:
    rig = Rig(args.latency)
    results = []
    try:
        await rig.start()  # the fakes, and a SQLite bot the first setup does not use
        rig.bot_proc.terminate()
        first = 1_000_000
        for title, backend, replicas in SETUPS:
            db = (
                await fresh_postgres(args.postgres)
                if backend == "postgresql"
                else str(rig.tmp / f"{first}.db")
            )
            ports = [free_port() for _ in range(replicas)]
            procs = [
                rig.spawn(
                    "-m",
                    "bot",
                    "run",
                    env={**rig.env(), "PORT": str(port), "METRICS_PORT": "0", "TICKETBOT_DB": db},
                )
                for port in ports
            ]
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            for url in urls:
                await wait_healthy(url)
            await load(urls[0], "command", 1, 1, first - 1)  # warm the departments cache
            results.append((title, await measure(rig, urls, args, first)))
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=20)
            first += 1_000_000
    finally:
        rig.stop()
        print(f"process logs: {rig.tmp}", file=sys.stderr)
    return results


def report(results: list[tuple[str, Figures]], args: argparse.Namespace) -> str:
    ms = 1000.0
    rows = [("setup", "/ticket ack p50/p99", "submit ack p50/p99", "views.open p99")]
    rows[0] += ("submit → card p99", f"tickets/s ({args.latency * ms:.0f} ms)")
    for title, f in results:
        rows.append(
            (
                title,
                f"{p(f.command, 0.5) * ms:.1f} / {p(f.command, 0.99) * ms:.1f} ms",
                f"{p(f.submit, 0.5) * ms:.1f} / {p(f.submit, 0.99) * ms:.1f} ms",
                f"{p(f.opened, 0.99) * ms:.0f} ms",
                f"{p(f.cards, 0.99) * ms:.0f} ms",
                f"{f.tickets_per_s:.1f}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    head = (
        f"ticketbot store backends: {args.requests} requests per kind, {args.concurrency} in "
        f"flight, {args.paced} paced submits at {args.rate:g}/s, {args.tput} for tickets/s"
    )
    return head + "\n" + "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000, help="per kind and setup")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.3, help="provider latency, s")
    parser.add_argument("--paced", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--tput", type=int, default=300)
    parser.add_argument(
        "--postgres",
        default="postgresql://127.0.0.1:5432/postgres",
        help="a server to create the benchmark's databases on",
    )
    args = parser.parse_args()
    print(report(asyncio.run(run(args)), args))


if __name__ == "__main__":
    main()
