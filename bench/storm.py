"""An alert storm: ``python -m bench.storm`` (about 2 minutes).

Fifty alerts are filed at once (the ``:ticket:`` reaction in a file-at-once route) in five
channels; then 100 alert notifications a second for ``--seconds``: each second 25 of those
fifty fire again and 75 other alerts (no ticket) fire; in the last second the fifty resolve.
The fake Slack enforces Slack's rate limits (``tests/fakes/slack_limits.RATE_LIMITS``) and
answers 429 past them. Printed: acks past 3 s, 429s, calls by method, provider comments per
ticket, and how long after the storm every ticket's thread and card showed its last state
(the note's count equal to the firings the bot recorded, the resolution in the thread and on
the card).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sqlite3
import sys
import time
from typing import Any

import httpx

from bench.edges import alertmanager, event_body, profiled
from bench.fakes import STORM_CHANNELS
from bench.run import Rig, cpu_seconds, send, session
from bench.store_figures import p

TICKETED = 50
OTHERS = 150
CONFIG = """
[ticketbot]
file_emoji = "ticket"

[[routes]]
channels = [{channels}]
provider = "hostup"
defaults = {{ department = "vps", priority = "high" }}
on_emoji = "file"

[providers.hostup]
kind = "hostup"
base_url = "{{hostup}}/api/v2"
api_key_env = "HOSTUP_API_KEY"
timeout_seconds = 10
poll_seconds = 3600
"""
# the note ("(3rd time since filing)") or the resolution ("it fired 3 times since filing")
COUNT = re.compile(r"(\d+)(?:st|nd|rd|th| times) (?:time )?since filing")


def alert(n: int, ts: float, *, over: bool = False) -> dict[str, Any]:
    """Alertmanager's default notification of alert ``n`` (``bench.edges.alertmanager``,
    rendered from its source), firing or, ``over``, resolved."""
    return alertmanager(f"Storm{n}", resolved=over) | {"ts": f"{ts:.6f}"}


def channel_of(n: int) -> str:
    return f"C0STORM{n % STORM_CHANNELS}"


class Clock:
    """Strictly increasing message timestamps, as Slack's are within a channel."""

    def __init__(self) -> None:
        self.last = 0.0

    def ts(self) -> float:
        self.last = max(time.time(), self.last + 1e-6)
        return self.last


async def file_fifty(rig: Rig, http: httpx.AsyncClient, clock: Clock) -> None:
    async with session(TICKETED) as client:
        for n in range(TICKETED):
            message = alert(n, clock.ts() - 600)
            posted = (
                await http.post(
                    f"{rig.slack}/_bench/post", params={"channel": channel_of(n)}, json=message
                )
            ).json()
            reaction = {
                "type": "reaction_added",
                "user": "UANA",
                "reaction": "ticket",
                "item_user": "UALERTS",
                "item": {"type": "message", "channel": channel_of(n), "ts": posted["ts"]},
                "event_ts": f"{time.time():.6f}",
            }
            await send(client, f"{rig.bot}/slack/events", event_body(reaction, n), JSON)
    deadline = time.monotonic() + 120
    while len(await rig.json("/_bench/tickets")) < TICKETED:
        if time.monotonic() > deadline:
            raise RuntimeError("the fifty tickets were not all filed")
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)  # the cards


JSON = "application/json"


async def storm(rig: Rig, args: argparse.Namespace, clock: Clock) -> tuple[list[float], int]:
    """100 notifications a second; the ack latencies and the refires sent per ticketed alert."""
    latencies: list[float] = []
    sent = 0
    tasks: list[asyncio.Task[None]] = []
    async with session(400) as client:

        async def one(event: dict[str, Any], n: int) -> None:
            latencies.append(
                await send(client, f"{rig.bot}/slack/events", event_body(event, n), JSON)
            )

        started = time.monotonic()
        for second in range(args.seconds):
            last = second == args.seconds - 1
            for k in range(args.rate):
                due = started + second + k / args.rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                if last and k < TICKETED:
                    n, message = k, alert(k, clock.ts(), over=True)
                elif not last and k < args.rate // 4:
                    n = (second * (args.rate // 4) + k) % TICKETED
                    message = alert(n, clock.ts())
                else:
                    n = TICKETED + (second * args.rate + k) % OTHERS
                    message = alert(n, clock.ts())
                event = {**message, "type": "message", "channel": channel_of(n)}
                sent += 1
                tasks.append(asyncio.create_task(one(event, 1_000_000 + sent)))
        await asyncio.gather(*tasks)
    return latencies, sent


def ticket_rows(rig: Rig) -> list[sqlite3.Row]:
    with sqlite3.connect(f"file:{rig.tmp / 'ticketbot.db'}?mode=ro", uri=True) as db:
        db.row_factory = sqlite3.Row
        return db.execute(
            "SELECT id, channel_id, card_ts, thread_ts, firings, alert_state FROM tickets"
        ).fetchall()


def reflected(
    rows: list[sqlite3.Row], channels: dict[str, list[dict[str, Any]]], explain: bool = False
) -> tuple[int, int]:
    """How many tickets' threads show their last state (the count of firings the bot recorded,
    and the resolution), and how many cards say the alert resolved."""
    threads = cards = 0
    for row in rows:
        messages = {m["ts"]: m for m in channels.get(row["channel_id"], [])}
        thread = [
            str(m.get("text")) for m in messages.values() if m.get("thread_ts") == row["thread_ts"]
        ]
        counts = [int(c) for text in thread for c in COUNT.findall(text)]
        notes_ok = row["firings"] <= 1 or max(counts, default=0) == row["firings"]
        resolved_ok = row["alert_state"] == "resolved" and any("Resolved at" in t for t in thread)
        card = messages.get(row["card_ts"]) or {}
        card_ok = "alert resolved" in json.dumps(card.get("blocks"))
        threads += bool(notes_ok and resolved_ok)
        cards += card_ok
        if not (notes_ok and resolved_ok and card_ok) and explain:
            print(dict(row), counts, resolved_ok, card_ok, file=sys.stderr)
    return threads, cards


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rig = Rig(args.latency)
    rig.fake_args = ["storm"]
    channels = ", ".join(f'"{channel_of(n)}"' for n in range(STORM_CHANNELS))
    rig.config = CONFIG.format(channels=channels)
    if args.bot_src:
        rig.bot_cwd = args.bot_src  # NOTE: ``python -m`` puts the working directory first
    clock, results = Clock(), {}
    try:
        await rig.start()
        async with httpx.AsyncClient() as http:
            await file_fifty(rig, http, clock)
            before = await rig.json("/_bench/storm")
            cpu = cpu_seconds(rig.bot_proc.pid)
            with profiled(rig.bot_proc.pid, args.profile, "storm"):
                latencies, sent = await storm(rig, args, clock)
            ended = time.monotonic()
            results["cpu_per_event_us"] = (cpu_seconds(rig.bot_proc.pid) - cpu) / sent * 1e6
            threads_s = cards_s = None
            while time.monotonic() - ended < args.wait and cards_s is None:
                state = await rig.json("/_bench/storm")
                threads, cards = reflected(ticket_rows(rig), state["channels"])
                if threads >= TICKETED and threads_s is None:
                    threads_s = time.monotonic() - ended
                if cards >= TICKETED:
                    cards_s = time.monotonic() - ended
                await asyncio.sleep(0.5)
            state = await rig.json("/_bench/storm")
            rows = ticket_rows(rig)
            results["reflected"] = reflected(rows, state["channels"], explain=True)
            results["threads_s"], results["cards_s"] = threads_s, cards_s
            comments = (await http.get(f"{rig.hostup}/_bench/comments")).json()
        results["sent"] = sent
        results["late"] = sum(x > 3 for x in latencies)
        results["ack"] = (p(latencies, 0.5), p(latencies, 0.99), max(latencies))
        results["limited"] = state["limited"]
        results["calls"] = {
            m: state["calls"].get(m, 0) - before["calls"].get(m, 0)
            for m in ("chat.update", "chat.postMessage")
        }
        results["comments_max"] = max(comments.values(), default=0)
        results["firings"] = sorted(r["firings"] for r in rows)
    finally:
        rig.stop()
        print(f"process logs: {rig.tmp}", file=sys.stderr)
    return results


def report(r: dict[str, Any], args: argparse.Namespace) -> str:
    ms = 1000
    p50, p99, top = r["ack"]
    limited = sum(r["limited"].values())

    def after(seconds: float | None) -> str:
        return f"{seconds:.1f} s" if seconds is not None else f"> {args.wait:.0f} s"

    threads, cards = r["reflected"]
    threads_ok = r["threads_s"] is not None and r["threads_s"] <= 10
    rows = [
        ("notifications sent", f"{r['sent']} in {args.seconds} s", "", ""),
        (
            "ack p50 / p99 / max ms",
            f"{p50 * ms:.0f} / {p99 * ms:.0f} / {top * ms:.0f}",
            "",
            "",
        ),
        ("acks past 3 s", str(r["late"]), "0", "✓" if r["late"] == 0 else "✗"),
        ("Slack 429s", f"{limited} {r['limited'] or ''}", "0", "✓" if limited == 0 else "✗"),
        (
            "chat.update / chat.postMessage calls",
            f"{r['calls']['chat.update']} / {r['calls']['chat.postMessage']}",
            "",
            "",
        ),
        ("CPU per notification µs", f"{r['cpu_per_event_us']:.0f}", "", ""),
        (
            "provider comments per ticket, max",
            str(r["comments_max"]),
            "≤ 2 (refire + resolve)",
            "✓" if r["comments_max"] <= 2 else "✗",
        ),
        (
            "every thread shows its last count and resolution after",
            f"{after(r['threads_s'])} ({threads} of {TICKETED})",
            "≤ 10 s",
            "✓" if threads_ok else "✗",
        ),
        (
            "every card says resolved after (chat.update, Tier 3)",
            f"{after(r['cards_s'])} ({cards} of {TICKETED})",
            "",
            "",
        ),
    ]
    lines = ["| figure | ticketbot | target | |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.storm", description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=int, default=100, help="notifications per second")
    parser.add_argument("--latency", type=float, default=0.1, help="provider latency, s")
    parser.add_argument("--wait", type=float, default=120, help="s to wait for the last state")
    parser.add_argument("--profile", help="py-spy the bot during the storm into this folder")
    parser.add_argument("--bot-src", help="run the bot from this checkout (an A/B)")
    args = parser.parse_args()
    if args.bot_src:
        args.bot_src = os.path.abspath(args.bot_src)
    results = asyncio.run(run(args))
    print(json.dumps(results), file=sys.stderr)
    print(f"ticketbot alert storm: {args.rate}/s for {args.seconds} s, {TICKETED} alerts ticketed")
    print(report(results, args))


if __name__ == "__main__":
    main()
