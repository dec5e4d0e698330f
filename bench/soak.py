"""A soak: ``python -m bench.soak --minutes 30`` runs mixed load against the bot and samples it
every 10 s: resident memory, open file descriptors, tasks on its event loop and edits waiting
for Slack's rate limit (``/metrics``), CPU, and the ack latency of the 10 s before. It writes
the samples as JSON and, with the ``bench`` extra installed (matplotlib), a PNG of latency and
RSS over time.

The load, each second: 4 ``/ticket`` commands and ``--submits`` (2) submits of the modals the
bot opened (HostUp answers in ``--latency``; every open ticket is polled every ``poll_seconds =
30``, and HostUp closes each ``--close-after`` minutes after it was filed, so the open tickets
level off as a team's do), 20 channel messages (70 % chatter, 30 % alerts), one App Home open
and one reaction.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.edges import CONFIG, message_event, path_event
from bench.run import Rig, body_for, cpu_seconds, rss_mb, send, session
from bench.store_figures import p

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
GAUGE = rb"^%s ([0-9.e+]+)$"
TASKS = re.compile(GAUGE % b"ticketbot_event_loop_tasks", re.M)
EDITS = re.compile(GAUGE % b"ticketbot_edits_waiting", re.M)


class Load:
    """Open-loop traffic: each request fired at its second, its ack latency kept."""

    def __init__(self, rig: Rig, client: aiohttp.ClientSession, submits: float) -> None:
        self.rig = rig
        self.client = client
        self.submits = submits  # a second
        self.owed = 0.0  # submits due, fractions carried to the next second
        self.latencies: list[float] = []
        self.errors = 0
        self.n = 0
        self.tasks: set[asyncio.Task[None]] = set()

    def fire(self, body: bytes, kind: str) -> None:
        task = asyncio.create_task(self._one(body, kind))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _one(self, body: bytes, kind: str) -> None:
        try:
            self.latencies.append(
                await send(self.client, f"{self.rig.bot}/slack/events", body, kind)
            )
        except (RuntimeError, aiohttp.ClientError, TimeoutError):
            self.errors += 1

    async def second(self, views: list[list[str]]) -> None:
        n = self.n
        self.n += 100
        for i in range(4):
            self.fire(body_for("command", n + i)[0], FORM)
        self.owed += self.submits
        for i in range(int(self.owed)):
            self.owed -= 1
            if views:
                view = views.pop()
                self.fire(body_for("view_submission", n + 10 + i, (view[0], view[1]))[0], FORM)
        for i in range(20):
            self.fire(message_event(n + 20 + i), JSON)
        self.fire(path_event("home", n + 50)[0], JSON)
        self.fire(path_event("reaction", n + 60)[0], JSON)


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def gauges(client: aiohttp.ClientSession, url: str) -> tuple[float, float]:
    """Tasks alive on the bot's loop, and its edits waiting for Slack's rate limit."""
    async with client.get(f"{url}/metrics") as response:
        text = await response.read()
    found = [pattern.search(text) for pattern in (TASKS, EDITS)]
    tasks, edits = (float(f.group(1)) if f else float("nan") for f in found)
    return tasks, edits


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    rig = Rig(args.latency)
    rig.config = CONFIG.replace("poll_seconds = 3600", "poll_seconds = 30")
    rig.bot_env = {"METRICS_PORT": str(rig.bot_port)}  # /metrics beside /slack/events
    samples: list[dict[str, Any]] = []
    try:
        await rig.start()
        rig_pid = rig.bot_proc.pid
        async with session(200) as client:
            load = Load(rig, client, args.submits)
            started = time.monotonic()
            cpu, window = cpu_seconds(rig_pid), 0
            views: list[list[str]] = []
            used: set[str] = set()  # each modal is submitted once
            while time.monotonic() - started < args.minutes * 60:
                tick = started + window * 10
                for s in range(10):
                    await asyncio.sleep(max(0.0, tick + s - time.monotonic()))
                    await load.second(views)
                if args.close_after:
                    close = f"{rig.hostup}/_bench/close?older={args.close_after * 60}"
                    async with client.post(close) as closed:
                        await closed.read()
                views = [v for v in await rig.json("/_bench/views") if v[0] not in used]
                used.update(v[0] for v in views)
                window += 1
                now_cpu = cpu_seconds(rig_pid)
                lat, load.latencies = load.latencies, []
                alive, edits = await gauges(client, rig.bot)
                samples.append(
                    {
                        "t": round(time.monotonic() - started, 1),
                        "rss_mb": round(rss_mb(rig_pid)[0], 1),
                        "fds": fds(rig_pid),
                        "tasks": alive,
                        "edits_waiting": edits,
                        "cpu": round((now_cpu - cpu) / 10, 3),
                        "acks": len(lat),
                        "p50_ms": round(p(lat, 0.5) * 1000, 1) if lat else None,
                        "p99_ms": round(p(lat, 0.99) * 1000, 1) if lat else None,
                        "errors": load.errors,
                    }
                )
                cpu = now_cpu
                print(json.dumps(samples[-1]), file=sys.stderr, flush=True)
            await asyncio.gather(*load.tasks)
    finally:
        rig.stop()
        print(f"process logs: {rig.tmp}", file=sys.stderr)
    return samples


def verdict(samples: list[dict[str, Any]], warm: float) -> dict[str, Any]:
    """RSS growth after warm-up (the first sample at ``warm`` s against the last third's
    median), and the first/last/max of descriptors and tasks after warm-up."""
    after = [s for s in samples if s["t"] >= warm] or samples
    start = after[0]
    tail = sorted(s["rss_mb"] for s in after[-max(1, len(after) // 3) :])
    end_rss = tail[len(tail) // 2]
    return {
        "rss_start": start["rss_mb"],
        "rss_end": end_rss,
        "rss_growth": (end_rss - start["rss_mb"]) / start["rss_mb"],
        "fds": (start["fds"], after[-1]["fds"], max(s["fds"] for s in after)),
        "tasks": (start["tasks"], after[-1]["tasks"], max(s["tasks"] for s in after)),
        "p99_ms": max((s["p99_ms"] or 0) for s in after),
        "errors": samples[-1]["errors"] if samples else 0,
    }


def plot(samples: list[dict[str, Any]], out: Path, title: str) -> None:
    import matplotlib  # NOTE: the bench extra; the bot never imports it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [s["t"] / 60 for s in samples]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    top.plot(minutes, [s["p50_ms"] for s in samples], label="ack p50")
    top.plot(minutes, [s["p99_ms"] for s in samples], label="ack p99")
    top.set_ylabel("ms (each 10 s)")
    top.legend()
    top.set_title(title)
    bottom.plot(minutes, [s["rss_mb"] for s in samples], color="tab:red", label="RSS MB")
    bottom.set_ylabel("RSS MB")
    bottom.set_xlabel("minutes")
    right = bottom.twinx()
    right.plot(minutes, [s["tasks"] for s in samples], color="tab:gray", label="tasks")
    right.plot(minutes, [s["fds"] for s in samples], color="tab:green", label="fds")
    right.set_ylabel("tasks, fds")
    lines = [*bottom.get_lines(), *right.get_lines()]
    bottom.legend(lines, [str(line.get_label()) for line in lines], loc="upper left")
    fig.tight_layout()
    fig.savefig(out, dpi=90)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--warm", type=float, default=120, help="s of warm-up before RSS counts")
    parser.add_argument("--latency", type=float, default=0.1, help="provider latency, s")
    parser.add_argument(
        "--close-after",
        type=float,
        default=5,
        help="minutes after which HostUp closes a ticket (0: never; open tickets, and the "
        "polls, then grow all through the soak)",
    )
    parser.add_argument(
        "--submits",
        type=float,
        default=2,
        help="submits a second; each ticket's card is edited when HostUp closes it, and "
        "Slack takes 50 edits a minute (ticketbot sends 45): above 0.75 the edits waiting "
        "grow all through the soak",
    )
    parser.add_argument("--out", default="docs/soak", help="writes OUT.json and OUT.png")
    args = parser.parse_args()

    def stop(*_: object) -> None:
        raise SystemExit("stopped")  # NOTE: so that the rig stops its processes too

    signal.signal(signal.SIGTERM, stop)
    samples = asyncio.run(run(args))
    Path(f"{args.out}.json").write_text(json.dumps(samples, indent=0), encoding="utf-8")
    v = verdict(samples, args.warm)
    title = f"ticketbot soak, {args.minutes:g} min of mixed load, 2 cores"
    try:
        plot(samples, Path(f"{args.out}.png"), title)
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot", file=sys.stderr)
    growth_ok = v["rss_growth"] < 0.10
    print(title)
    print("| figure | measured | target | |\n|---|---|---|---|")
    print(
        f"| RSS after warm-up → end MB | {v['rss_start']:.0f} → {v['rss_end']:.0f} "
        f"({v['rss_growth'] * 100:+.1f} %) | < +10 % | {'✓' if growth_ok else '✗'} |"
    )
    for name in ("fds", "tasks"):
        first, last, top = v[name]
        print(
            f"| {name} after warm-up: first / last / max | {first:g} / {last:g} / {top:g} "
            "| no growth | |"
        )
    print(f"| worst 10 s ack p99 ms | {v['p99_ms']:.0f} | | |")
    print(f"| edits waiting for Slack at the end | {samples[-1]['edits_waiting']:g} | | |")
    print(f"| requests that failed | {v['errors']} | 0 | {'✓' if v['errors'] == 0 else '✗'} |")


if __name__ == "__main__":
    main()
