"""The benchmark: ``python -m bench.run`` prints every figure and whether it meets its target.

On loopback it starts the fakes (Slack, and HostUp answering after ``--latency`` seconds), the
bot as a real process in HTTP mode, and a bare bolt app (it acks, and opens ticketbot's own
form, ``bench/bare_modal.json``, for ``/ticket`` and the shortcut), served the same way;
then it sends signed traffic and measures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import httpx

from bench.store_figures import p, store_figures
from tests.fakes.hostup import API_KEY
from tests.fakes.slack_api import BOT_TOKEN, TEAM
from tests.slack_driver import SIGNING_SECRET, sign

KINDS = ("command", "shortcut", "view_submission")
APPS = ("bot", "bare")
TRIGGER_TTL = 3.0  # NOTE: Slack's trigger_id is usable once, within 3 s of the request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, from /proc."""
    fields = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ":" in line
    )
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def idle(pid: int, within: float = 120) -> None:
    """Wait until the process has finished its backlog (under 5% CPU for 0.3 s), so what it
    still does after one load does not slow the next."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        await asyncio.sleep(0.3)
        if cpu_seconds(pid) - before < 0.015:
            return
    raise RuntimeError(f"process {pid} never went idle")


View = tuple[str, str]  # (view id, private_metadata) of a modal the bot opened


def body_for(
    kind: str, n: int, view: View | None = None, description: str = "bench"
) -> tuple[bytes, str]:
    """A signed-request body of ``kind``; view submissions file a ticket with subject s-<n>.

    ``view``: the modal to submit, as the bot opened it (the bot files only from modals it
    opened, with the metadata it sealed); the bare app takes any.
    """
    if kind == "command":
        return urlencode(
            {
                "command": "/ticket",
                "text": "",
                "team_id": TEAM,
                "user_id": "UANA",
                "user_name": "ana",
                "channel_id": "C0GENERAL",
                "trigger_id": f"bench.{n}",
                "response_url": "http://127.0.0.1:9/r",
            }
        ).encode(), "form"
    user = {"id": "UANA", "username": "ana", "name": "ana", "team_id": TEAM}
    if kind == "shortcut":
        payload: dict[str, Any] = {
            "type": "message_action",
            "callback_id": "file_ticket",
            "team": {"id": TEAM, "domain": "fake"},
            "channel": {"id": "C0GENERAL"},
            "user": user,
            "trigger_id": f"bench.{n}",
            "message": {"type": "message", "ts": f"1700000000.{n:06d}", "text": f"alert {n}"},
        }
    else:
        subject = f"s-{n}"
        sel = {
            "type": "static_select",
            "selected_option": {"value": "vps", "text": {"type": "plain_text", "text": "VPS"}},
        }
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": user,
            "view": {
                "id": view[0] if view else f"VB{uuid.uuid4().hex[:10].upper()}",
                "type": "modal",
                "callback_id": "ticket_modal",
                "private_metadata": view[1] if view else json.dumps({"provider": "hostup"}),
                "state": {
                    "values": {
                        "field:department": {"value": sel},
                        "field:subject": {"value": {"type": "plain_text_input", "value": subject}},
                        "field:description": {
                            "value": {"type": "plain_text_input", "value": description}
                        },
                        "field:priority": {
                            "value": {
                                **sel,
                                "selected_option": {
                                    "value": "high",
                                    "text": {"type": "plain_text", "text": "H"},
                                },
                            }
                        },
                    }
                },
            },
        }
    return urlencode({"payload": json.dumps(payload)}).encode(), "form"


async def send(
    client: aiohttp.ClientSession,
    url: str,
    body: bytes,
    content_type: str = "application/x-www-form-urlencoded",
) -> float:
    """One signed request (events are JSON); seconds until the whole ack arrived."""
    ts = int(time.time())
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(body, ts),
    }
    started = time.perf_counter()
    async with client.post(url, data=body, headers=headers) as response:
        text = await response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {text[:200]!r}")
    return elapsed


def session(concurrency: int) -> aiohttp.ClientSession:
    # NOTE: aiohttp's client, not httpx: on 2 cores the load generator must cost little CPU,
    # or it measures itself (httpx made even a bare bolt app look 10x slower).
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency), timeout=aiohttp.ClientTimeout(total=30)
    )


async def load(
    url: str,
    kind: str,
    count: int,
    concurrency: int,
    first: int = 0,
    sent: dict[str, float] | None = None,
    views: list[View] | None = None,
) -> list[float]:
    """``count`` requests of ``kind``, ``concurrency`` in flight; the ack latencies.

    ``sent``: filled with each request's trigger id → when it was sent. ``views``: modals to
    submit (each used once, taken from the end).
    """
    bodies = [  # NOTE: built before timing
        (first + n, body_for(kind, first + n, views.pop() if views else None)[0])
        for n in range(count)
    ]
    latencies: list[float] = []
    async with session(concurrency) as client:

        async def worker() -> None:
            while bodies:
                n, body = bodies.pop()
                if sent is not None:
                    sent[f"bench.{n}"] = time.time()
                latencies.append(await send(client, f"{url}/slack/events", body))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


async def wait_healthy(url: str, within: float = 30) -> float:
    started = time.perf_counter()
    async with httpx.AsyncClient() as client:
        while time.perf_counter() - started < within:
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.01)
    raise RuntimeError(f"{url} never became healthy")


async def until(check: Callable[[], Awaitable[bool]], within: float) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        await asyncio.sleep(0.1)


class Rig:
    """The processes: fakes, bot, bare app."""

    def __init__(self, latency: float, options: str = "") -> None:
        self.options = options  # the providers file's [ticketbot] table
        self.tmp = Path(tempfile.mkdtemp(prefix="ticketbot-bench-"))
        self.slack_port, self.hostup_port = free_port(), free_port()
        self.bot_port, self.bare_port = free_port(), free_port()
        self.slack = f"http://127.0.0.1:{self.slack_port}"
        self.hostup = f"http://127.0.0.1:{self.hostup_port}"
        self.bot = f"http://127.0.0.1:{self.bot_port}"
        self.bare = f"http://127.0.0.1:{self.bare_port}"
        self.latency = latency
        self.procs: list[subprocess.Popen[bytes]] = []
        self.fake_args: list[str] = []  # e.g. ["storm"]: see bench.fakes
        self.bot_env: dict[str, str] = {}
        self.bot_cwd: str | None = None  # another checkout to run the bot from, for an A/B
        self.config = (  # the bot's ticketbot.toml; {hostup} is the fake's URL
            f"[ticketbot]\n{options}\n\n"
            '[providers.hostup]\nkind = "hostup"\nbase_url = "{hostup}/api/v2"\n'
            'api_key_env = "HOSTUP_API_KEY"\ntimeout_seconds = 10\npoll_seconds = 3600\n'
        )

    def spawn(
        self, *args: str, env: dict[str, str] | None = None, cwd: str | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{args[1]}.log").open("wb")  # each process's stderr, for a post-mortem
        proc = subprocess.Popen(
            [sys.executable, *args],
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=cwd,
        )
        self.procs.append(proc)
        return proc

    def env(self) -> dict[str, str]:
        return {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{self.slack}/api/",
            "HOSTUP_API_KEY": API_KEY,
            "HOSTUP_URL": self.hostup,
            "TICKETBOT_CONFIG": str(self.tmp / "ticketbot.toml"),
            "TICKETBOT_DB": str(self.tmp / "ticketbot.db"),
            "HOST": "127.0.0.1",
            "LOG_FORMAT": "json",
        }

    async def start(self) -> float:
        fakes = self.spawn(
            "-m",
            "bench.fakes",
            str(self.slack_port),
            str(self.hostup_port),
            str(self.latency),
            *self.fake_args,
        )
        assert fakes.stdout is not None
        await asyncio.to_thread(fakes.stdout.readline)
        (self.tmp / "ticketbot.toml").write_text(
            self.config.replace("{hostup}", self.hostup), encoding="utf-8"
        )
        self.bot_proc = self.spawn(
            "-m",
            "bot",
            "run",
            env={**self.env(), "PORT": str(self.bot_port), "METRICS_PORT": "0", **self.bot_env},
            cwd=self.bot_cwd,
        )
        healthy_after = await wait_healthy(self.bot)
        self.bare_proc = self.spawn("-m", "bench.bare_app", str(self.bare_port), env=self.env())
        await wait_healthy(self.bare)
        return healthy_after

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(timeout=15)

    async def json(self, path: str) -> Any:
        """What a fake recorded: ``/_bench/cards`` and ``/_bench/opened`` are Slack's."""
        fake = (
            self.slack
            if path.startswith(
                (
                    "/_bench/cards",
                    "/_bench/opened",
                    "/_bench/views",
                    "/_bench/stamps",
                    "/_bench/pickers",
                    "/_bench/storm",
                )
            )
            else self.hostup
        )
        async with httpx.AsyncClient() as client:
            return (await client.get(f"{fake}{path}")).json()

    async def set_latency(self, seconds: float) -> None:
        async with httpx.AsyncClient() as client:
            await client.post(f"{self.hostup}/_bench/latency", params={"seconds": seconds})


async def throughput(
    rig: Rig, count: int, first: int, concurrency: int, views: list[View]
) -> float:
    """Submit ``count`` tickets as fast as acks allow; tickets/s until the last card is up."""
    before = len(await rig.json("/_bench/cards"))
    started = time.perf_counter()
    await load(rig.bot, "view_submission", count, concurrency, first, views=views)

    async def all_carded() -> bool:
        return len(await rig.json("/_bench/cards")) >= before + count

    await until(all_carded, within=600)
    return count / (time.perf_counter() - started)


async def drained(rig: Rig, submitted: int) -> None:
    """Wait until every ticket of the burst has its card."""

    async def done() -> bool:
        return sum(" · s-" in text for text, _ in await rig.json("/_bench/cards")) >= submitted

    await until(done, within=600)


async def card_latency(
    rig: Rig, count: int, rate: float, first: int, views: list[View]
) -> list[float]:
    """Paced submissions (not saturating the provider): submit → ticket card seconds."""
    sent: dict[str, float] = {}
    async with session(2) as client:
        for n in range(first, first + count):
            body, _ = body_for("view_submission", n, views.pop())
            sent[f"s-{n}"] = time.time()
            await send(client, f"{rig.bot}/slack/events", body)
            await asyncio.sleep(1 / rate)

    async def done() -> bool:
        return (
            len({s for s in sent if any(f"· {s} ·" in t for t, _ in cards)}) == count
            if (cards := await rig.json("/_bench/cards"))
            else False
        )

    await until(done, within=120)
    cards = await rig.json("/_bench/cards")
    return [next(t for text, t in cards if f"· {s} ·" in text) - at for s, at in sent.items()]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rig = Rig(args.latency)
    results: dict[str, Any] = {}
    try:
        results["healthy_s"] = await rig.start()
        await load(rig.bot, "command", 1, 1)  # warm the departments cache
        await asyncio.sleep(1)
        results["idle_rss_mb"] = rss_mb(rig.bot_proc.pid)[0]
        n = 0
        # NOTE: bot and bare take turns in rounds, so a slower or faster spell of this shared
        # machine falls on both and not on one app's whole figure.
        chunk = args.requests // args.rounds
        # each app's modal requests: trigger id → sent at
        triggers: dict[str, dict[str, float]] = {name: {} for name in APPS}
        views: list[View] = []  # the modals the bot opened, to submit
        for kind in KINDS:
            if kind == "view_submission":
                views = [(str(v[0]), str(v[1])) for v in await rig.json("/_bench/views")]
                needed = chunk * args.rounds + args.paced + 2 * args.tput
                if len(views) < needed:
                    raise RuntimeError(f"{len(views)} modals opened, {needed} submits planned")
            for _ in range(args.rounds):
                apps = (("bot", rig.bot, rig.bot_proc.pid), ("bare", rig.bare, rig.bare_proc.pid))
                for name, url, pid in apps:
                    sent = triggers[name] if kind != "view_submission" else None
                    cpu = cpu_seconds(pid)
                    mine = views if name == "bot" else None
                    latencies = await load(url, kind, chunk, args.concurrency, n, sent, mine)
                    cpu_key = f"{name}_{kind}_cpu"
                    results[cpu_key] = results.get(cpu_key, 0.0) + cpu_seconds(pid) - cpu
                    results.setdefault(f"{name}_{kind}", []).extend(latencies)
                    n += chunk
                    await idle(pid)  # one app's backlog must not slow the other
        opened = await rig.json("/_bench/opened")
        for name in APPS:
            ages = [opened[t] - at for t, at in triggers[name].items() if t in opened]
            results[f"{name}_trigger_ages"] = ages
            results[f"{name}_modals"] = len(triggers[name])
            late = len(triggers[name]) - sum(age <= TRIGGER_TTL for age in ages)
            results[f"{name}_modals_late"] = late
        await drained(
            rig, chunk * args.rounds
        )  # the burst's backlog must not sit in the paced phase
        cards = await card_latency(rig, args.paced, args.rate, first=n, views=views)
        n += args.paced
        results["card_p50"], results["card_p99"] = p(cards, 0.5), p(cards, 0.99)
        results["tput_fast"] = await throughput(rig, args.tput, n, args.concurrency, views)
        n += args.tput
        await rig.set_latency(2.0)
        results["tput_slow"] = await throughput(rig, args.tput, n, args.concurrency, views)
        n += args.tput
        results["submitted"] = submitted = chunk * args.rounds + args.paced + 2 * args.tput

        async def settled() -> bool:  # a "Queued" card is a card too: wait for its retry
            return len({s for s, _ in await rig.json("/_bench/tickets")}) >= submitted

        with contextlib.suppress(RuntimeError):
            await until(settled, within=60)  # what is still missing then counts as lost
        created = [s for s, _ in await rig.json("/_bench/tickets")]
        subjects = [s for s in created if s.startswith("s-")]
        results["created"] = len(subjects)
        results["duplicates"] = len(subjects) - len(set(subjects))
        results["peak_rss_mb"] = rss_mb(rig.bot_proc.pid)[1]
    finally:
        rig.stop()
        print(f"process logs: {rig.tmp}", file=sys.stderr)
    results.update(await store_figures())
    return results


def report(r: dict[str, Any], args: argparse.Namespace) -> str:
    ms = 1000.0
    rows = [("figure", "measured", "target", "")]

    def row(name: str, value: str, target: str = "", ok: bool | None = None) -> None:
        rows.append((name, value, target, "" if ok is None else ("✓" if ok else "✗")))

    for kind in KINDS:
        bot, bare = r[f"bot_{kind}"], r[f"bare_{kind}"]
        p99 = p(bot, 0.99) * ms
        row(
            f"ack {kind} p50/p95/p99 ms",
            f"{p(bot, 0.5) * ms:.1f} / {p(bot, 0.95) * ms:.1f} / {p99:.1f}",
            "p99 ≤ 100",
            p99 <= 100,
        )
        ratio = p(bot, 0.5) / p(bare, 0.5)
        row(
            f"  bare bolt {kind} p50/p95/p99 ms",
            f"{p(bare, 0.5) * ms:.1f} / {p(bare, 0.95) * ms:.1f} / {p(bare, 0.99) * ms:.1f}",
        )
        row(f"  overhead p50 ticketbot/bare ({kind})", f"{ratio:.2f}×", "≤ 1.5×", ratio <= 1.5)
        per_ack = [r[f"{name}_{kind}_cpu"] / len(r[f"{name}_{kind}"]) * 1e6 for name in APPS]
        row(
            f"  CPU per ack µs ticketbot / bare ({kind})",
            f"{per_ack[0]:.0f} / {per_ack[1]:.0f} ({per_ack[0] / per_ack[1]:.2f}×)",
        )
    ages, late, bare_ages = r["bot_trigger_ages"], r["bot_modals_late"], r["bare_trigger_ages"]
    row(
        "request → views.open p50/p99/max ms",
        f"{p(ages, 0.5) * ms:.0f} / {p(ages, 0.99) * ms:.0f} / {max(ages) * ms:.0f}",
        "p99 ≤ 300",
        p(ages, 0.99) <= 0.3,
    )
    row(
        "  bare bolt request → views.open p50/p99/max ms",
        f"{p(bare_ages, 0.5) * ms:.0f} / {p(bare_ages, 0.99) * ms:.0f} / {max(bare_ages) * ms:.0f}",
    )
    row(
        "modals opened late or never (of commands + shortcuts)",
        f"{late} of {r['bot_modals']}",
        "0",
        late == 0,
    )
    budget = args.latency + 0.25
    row(
        "submit → card p50/p99 ms",
        f"{r['card_p50'] * ms:.0f} / {r['card_p99'] * ms:.0f}",
        f"p99 ≤ {budget * ms:.0f}",
        r["card_p99"] <= budget,
    )
    lost = r["submitted"] - (r["created"] - r["duplicates"])
    row("tickets submitted / created", f"{r['submitted']} / {r['created']}")
    row(
        "lost / duplicates",
        f"{lost} / {r['duplicates']}",
        "0 / 0",
        lost == 0 and r["duplicates"] == 0,
    )
    row(f"sustained tickets/s, provider {args.latency * ms:.0f} ms", f"{r['tput_fast']:.1f}")
    row("sustained tickets/s, provider 2000 ms", f"{r['tput_slow']:.1f}")
    row(
        "RSS idle / peak MB",
        f"{r['idle_rss_mb']:.0f} / {r['peak_rss_mb']:.0f}",
        "≤ 150",
        r["peak_rss_mb"] <= 150,
    )
    row("start → healthy s", f"{r['healthy_s']:.2f}", "≤ 2", r["healthy_s"] <= 2)
    row("store: requester look-up p99 ms (10k links)", f"{r['lookup_p99_ms']:.2f}")
    row("store: ticket insert p99 ms (100k tickets)", f"{r['insert_p99_ms']:.2f}")
    widths = [max(len(str(x[i])) for x in rows) for i in range(4)]
    lines = [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(x, widths, strict=True)) + " |"
        for x in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="per kind and app")
    parser.add_argument("--rounds", type=int, default=4, help="bot and bare take turns")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.3, help="provider latency, s")
    parser.add_argument("--paced", type=int, default=200, help="paced submissions")
    parser.add_argument("--rate", type=float, default=20, help="paced submissions per s")
    parser.add_argument("--tput", type=int, default=300, help="tickets per throughput run")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(
        f"ticketbot benchmark: {args.requests} requests per kind (in {args.rounds} rounds), "
        f"{args.concurrency} in flight, provider {args.latency * 1000:.0f} ms, "
        f"{os.cpu_count()} cores"
    )
    print(report(results, args))


if __name__ == "__main__":
    main()
