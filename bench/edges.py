"""The edges: ``python -m bench.edges`` prints each figure beside its target and a bare bolt
app's figure for the same job, measured in alternating rounds (the median of the rounds).

- ``messages``: channel ``message`` events, 70 % chatter and 30 % alert notifications (none
  filed), 50 in flight: CPU per event (until the process is idle again, so work deferred past
  the ack counts) and ack p99, beside the bare app's ack-only listener.
- ``tail``: ``/ticket`` → ``views.open`` and the ack p99 of ``/ticket`` and of a submit at 50 in
  flight, on a quiet machine and beside a CPU hog (one busy process, the same for both apps).
- ``paths``: reaction → ``chat.postEphemeral`` prompt, App Home open → ``views.publish``,
  workflow step → ``functions.completeSuccess``, a ticket link → ``chat.unfurl`` (``unfurl``),
  *Add to a ticket* → the picker's ``views.update`` and its submit → the outcome's (``add``),
  beside a bare app making the same calls.

The storm, the soak and the poller at scale are in ``bench.storm``, ``bench.soak``.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import functools
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.bare_app import BARE_ADD_CALLBACK, BARE_ADD_VIEW
from bench.fakes import BENCH_TS
from bench.run import Rig, body_for, cpu_seconds, idle, send, session
from bench.store_figures import p
from tests.fakes.slack_api import TEAM

PAYLOADS = Path(__file__).resolve().parent.parent / "tests" / "payloads"
PHASES = ("messages", "tail", "paths")
PATHS = ("reaction", "home", "step", "unfurl", "add")
TICKET_URL = "https://hostup.example/tickets/{id}"
SEEDED = 200  # tickets filed (by workflow steps) for the unfurl path's links
CONFIG = (
    """
[ticketbot]
file_emoji = "ticket"

[[routes]]
channels = ["C0GENERAL"]
provider = "hostup"
defaults = { department = "vps" }

[providers.hostup]
kind = "hostup"
base_url = "{hostup}/api/v2"
api_key_env = "HOSTUP_API_KEY"
timeout_seconds = 10
poll_seconds = 3600
"""
    + f'ticket_url = "{TICKET_URL}"\n'
)


def event_body(event: dict[str, Any], n: int) -> bytes:
    """An Events API delivery as Slack sends it (JSON)."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0TICKET",
            "type": "event_callback",
            "event": event,
            "event_id": f"EvB{n:09d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        }
    ).encode()


# NOTE: Alertmanager's own default Slack notifications, rendered from its source (cited in
# each file); the event's own keys (channel, ts) are the bench's
ALERTMANAGER = PAYLOADS / "alerts" / "alertmanager"
EVENT_KEYS = ("channel", "channel_type", "event_ts", "ts")


@functools.cache
def _rendered(name: str) -> dict[str, Any]:
    message = json.loads((ALERTMANAGER / name).read_text(encoding="utf-8"))
    return {k: v for k, v in message.items() if not k.startswith("_") and k not in EVENT_KEYS}


def alertmanager(alertname: str, *, resolved: bool = False) -> dict[str, Any]:
    """Alertmanager's default notification of ``alertname`` firing (or ``resolved``)."""
    name = "default.resolved.json" if resolved else "default.firing.json"
    message = copy.deepcopy(_rendered(name))
    attachment = message["attachments"][0]
    for key in ("title", "fallback"):
        attachment[key] = attachment[key].replace("InstanceDown", alertname)
    return message


def _alert(n: int) -> dict[str, Any]:
    """A notification of one of 200 alerts; no ticket is filed for any of them."""
    return alertmanager(f"Bench{n % 200}")


def message_event(n: int, alerts: int = 30) -> bytes:
    """A person's chatter at the top of the channel, or (``alerts`` in 100, spread evenly) an
    alert notification."""
    ts = f"{1733500000 + n // 1000}.{n % 1000:06d}"
    if (n + 1) * alerts // 100 == n * alerts // 100:
        event = {"type": "message", "user": "UANA", "text": f"chatter {n}, see you at 3"}
    else:
        event = _alert(n)
    return event_body({**event, "channel": "C0GENERAL", "channel_type": "channel", "ts": ts}, n)


def path_event(path: str, n: int, links: Sequence[str] = ()) -> tuple[bytes, str]:
    """An event starting an interactive path, and the key its last Slack call is stamped by.

    ``links``: links to tickets the bot filed (the unfurl path's)."""
    user = f"UB{n % 20_000:07d}"
    if path == "unfurl":
        # NOTE: a posted message with one ticket link, in the channel its ticket was filed from
        ts = f"1733600000.{n:06d}"
        url = links[n % len(links)]
        shared: dict[str, Any] = {
            "type": "link_shared",
            "channel": "C0GENERAL",
            "user": "UANA",
            "message_ts": ts,
            "links": [{"domain": "hostup.example", "url": url}],
            "event_ts": f"{time.time():.6f}",
        }
        return event_body(shared, n), f"chat.unfurl {ts}"
    if path == "add":
        return add_shortcut(n), f"views.update add.{n}"
    if path == "reaction":
        event: dict[str, Any] = {
            "type": "reaction_added",
            "user": user,
            "reaction": "ticket",
            "item_user": "UANA",
            "item": {"type": "message", "channel": "C0BENCH", "ts": BENCH_TS},
            "event_ts": f"{time.time():.6f}",
        }
        return event_body(event, n), f"chat.postEphemeral {user}"
    if path == "home":
        event = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"}
        return event_body(event, n), f"views.publish {user}"
    execution = f"FxB{n:09d}"
    event = {
        "type": "function_executed",
        "function": {"id": "Fn0FILE", "callback_id": "file_ticket", "title": "File a ticket"},
        "inputs": {
            "provider": "hostup",
            "subject": f"step {n}",
            "description": "From the bench workflow",
            "priority": "high",
            "channel_id": "C0GENERAL",
            "filed_by": {"id": "UANA", "secret": "YmVuY2gtdXNlci1jb250ZXh0"},  # user_context
        },
        "function_execution_id": execution,
        "workflow_execution_id": f"WxB{n:09d}",
        "event_ts": f"{time.time():.6f}",
        "bot_access_token": "xwfp-bench-step-token",
    }
    return event_body(event, n), f"functions.completeSuccess {execution}"


ADDER = {"id": "UANA", "username": "ana", "name": "ana", "team_id": TEAM}  # filed the seeds


def add_shortcut(n: int) -> bytes:
    """*Add to a ticket* on a message in C0BENCH (a form post, as Slack sends interactions),
    by the person who filed the seeded tickets, so the picker lists them."""
    message = {"type": "message", "user": "UANA", "text": f"disk full on db-{n}"}
    payload: dict[str, Any] = {
        "type": "message_action",
        "callback_id": "add_to_ticket",
        "team": {"id": TEAM, "domain": "fake"},
        "channel": {"id": "C0BENCH", "name": "bench"},
        "user": ADDER,
        "trigger_id": f"add.{n}",
        "response_url": "http://127.0.0.1:9/r",
        "message": {**message, "ts": f"1733700000.{n:06d}"},  # NOTE: one comment per message
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def add_submit(picker: tuple[str, str] | None, seeded: tuple[str, str], n: int) -> bytes:
    """The picker submitted with a seeded ticket typed (``hostup 10001``); the bare app's
    is made up, the ticket's id in its metadata."""
    ticket_id, number = seeded
    view_id, metadata = picker or (f"{BARE_ADD_VIEW}{n}", ticket_id)
    typed = {"type": "plain_text_input", "value": f"hostup {number}"}
    view = {
        "id": view_id,
        "type": "modal",
        "callback_id": "add_to_ticket_modal" if picker else BARE_ADD_CALLBACK,
        "private_metadata": metadata,
        "state": {"values": {"add_typed": {"value": typed}}},
    }
    payload = {"type": "view_submission", "team": {"id": TEAM}, "user": ADDER, "view": view}
    return urlencode({"payload": json.dumps(payload)}).encode()


async def fire(
    url: str,
    bodies: list[tuple[bytes, str]],
    concurrency: int,
    json_body: bool,
    sent: dict[str, float] | None = None,
    rate: float | None = None,
) -> list[float]:
    """Send every body, ``concurrency`` in flight; the ack latencies. ``sent``: key → when.

    ``rate``: instead, one every 1/``rate`` s whatever the acks (as Slack's users send them),
    so an app that acks sooner is not sent more."""
    if rate:
        return await paced(url, bodies, rate, json_body, sent)
    todo = list(reversed(bodies))
    latencies: list[float] = []
    target = f"{url}/slack/events"
    async with session(concurrency) as client:

        async def worker() -> None:
            while todo:
                body, key = todo.pop()
                if sent is not None:
                    sent[key] = time.time()
                kind = "application/json" if json_body else "application/x-www-form-urlencoded"
                latencies.append(await send(client, target, body, kind))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


async def paced(
    url: str,
    bodies: list[tuple[bytes, str]],
    rate: float,
    json_body: bool,
    sent: dict[str, float] | None,
) -> list[float]:
    """``fire`` at a fixed rate (open loop)."""
    latencies: list[float] = []
    kind = "application/json" if json_body else "application/x-www-form-urlencoded"
    target = f"{url}/slack/events"
    async with session(PACED_CONNECTIONS) as client:

        async def one(body: bytes) -> None:
            latencies.append(await send(client, target, body, kind))

        tasks = []
        started = time.monotonic()
        for n, (body, key) in enumerate(bodies):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            if sent is not None:
                sent[key] = time.time()
            tasks.append(asyncio.create_task(one(body)))
        await asyncio.gather(*tasks)
    return latencies


PACED_CONNECTIONS = 500


@contextmanager
def cpu_hog(on: bool) -> Iterator[None]:
    """One process spinning on a core beside both apps (the 'loaded machine')."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if on else None
    try:
        yield
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


@contextmanager
def profiled(pid: int, into: str | None, name: str) -> Iterator[None]:
    """py-spy's samples of ``pid`` meanwhile (200 Hz), as collapsed stacks in ``into``/name."""
    if into is None:
        yield
        return
    Path(into).mkdir(parents=True, exist_ok=True)
    out = str(Path(into) / f"{name}.txt")
    spy_exe = str(Path(sys.executable).parent / "py-spy")
    command = [spy_exe, "record", "-p", str(pid), "-r", "200", "--format", "raw", "-o", out]
    spy = subprocess.Popen(
        [*command, "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(0.5)  # NOTE: py-spy attaches before the load starts
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=30)


class Rounds:
    """Per-round figures of each app: ``add(figure, app, value)``; medians and ratios."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], list[float]] = {}

    def add(self, figure: str, app: str, value: float) -> None:
        self.values.setdefault((figure, app), []).append(value)

    def median(self, figure: str, app: str) -> float:
        return statistics.median(self.values[(figure, app)])

    def ratio(self, figure: str) -> float:
        """The median of the per-round ratios (each round ran both apps back to back)."""
        pairs = zip(self.values[(figure, "bot")], self.values[(figure, "bare")], strict=True)
        return statistics.median(b / max(a, 1e-9) for b, a in pairs)


def apps(rig: Rig, n: int) -> list[tuple[str, str, int]]:
    """Bot and bare in turn, the first of a round alternating."""
    both = [("bot", rig.bot, rig.bot_proc.pid), ("bare", rig.bare, rig.bare_proc.pid)]
    return both if n % 2 == 0 else both[::-1]


async def messages(rig: Rig, args: argparse.Namespace, rounds: Rounds) -> None:
    n = 0
    for r in range(args.rounds):
        for name, url, pid in apps(rig, r):
            bodies = [(message_event(n + i, args.alerts), "") for i in range(args.events)]
            n += args.events
            cpu = cpu_seconds(pid)
            with profiled(pid, args.profile if name == "bot" else None, f"messages-{r}"):
                lat = await fire(url, bodies, args.concurrency, json_body=True)
                await idle(pid)  # the alerts' deferred look-ups count too
            rounds.add("message CPU µs", name, (cpu_seconds(pid) - cpu) / len(lat) * 1e6)
            rounds.add("message ack p50 ms", name, p(lat, 0.5) * 1000)
            rounds.add("message ack p99 ms", name, p(lat, 0.99) * 1000)


async def tail(rig: Rig, args: argparse.Namespace, rounds: Rounds, loaded: bool) -> None:
    tag = ("loaded" if loaded else "quiet") + (f", {args.rate:g}/s" if args.rate else "")
    first = 10_000_000 if loaded else 0
    with cpu_hog(loaded):
        for r in range(args.rounds):
            for name, url, pid in apps(rig, r):
                n = first + r * 100_000 + (0 if name == "bot" else 50_000)
                sent: dict[str, float] = {}
                bodies = [
                    (body_for("command", n + i)[0], f"bench.{n + i}") for i in range(args.tail)
                ]
                cpu, started = cpu_seconds(pid), time.monotonic()
                with profiled(pid, args.profile if name == "bot" else None, f"tail-{tag}-{r}"):
                    lat = await fire(
                        url, bodies, args.concurrency, json_body=False, sent=sent, rate=args.rate
                    )
                    per_s = len(bodies) / (time.monotonic() - started)
                    rounds.add(f"/ticket sent per s, {tag}", name, per_s)
                    await idle(pid, within=300)
                cpu_us = (cpu_seconds(pid) - cpu) / len(bodies) * 1e6
                rounds.add(f"/ticket CPU µs (with its modal), {tag}", name, cpu_us)
                opened = await rig.json("/_bench/opened")
                ages = [opened[t] - at for t, at in sent.items() if t in opened]
                if len(ages) < len(sent):
                    raise RuntimeError(f"{name}: {len(sent) - len(ages)} modals never opened")
                rounds.add(f"/ticket ack p99 ms, {tag}", name, p(lat, 0.99) * 1000)
                rounds.add(f"views.open p50 ms, {tag}", name, p(ages, 0.5) * 1000)
                rounds.add(f"views.open p99 ms, {tag}", name, p(ages, 0.99) * 1000)
                views = await rig.json("/_bench/views") if name == "bot" else []
                subs = [
                    (body_for("view_submission", n + i, submitted(views))[0], "")
                    for i in range(args.tail // 2)
                ]
                lat = await fire(url, subs, args.concurrency, json_body=False, rate=args.rate)
                await idle(pid, within=300)
                rounds.add(f"submit ack p99 ms, {tag}", name, p(lat, 0.99) * 1000)


async def finished(rig: Rig, sent: dict[str, float], within: float = 120) -> dict[str, float]:
    """Slack's stamps once every path sent has made its last call (or ``within`` is up)."""
    deadline = time.monotonic() + within
    while True:
        stamps: dict[str, float] = await rig.json("/_bench/stamps")
        if all(k in stamps for k in sent) or time.monotonic() > deadline:
            return stamps
        await asyncio.sleep(0.2)


def submitted(views: list[list[str]]) -> tuple[str, str] | None:
    """The next modal the bot opened, to submit (the bare app takes any)."""
    return (views[-1][0], views.pop()[1]) if views else None


async def seed(rig: Rig, count: int) -> list[tuple[str, str]]:
    """(id, number) of ``count`` tickets the bot files through workflow steps from C0GENERAL."""
    bodies = [path_event("step", 90_000_000 + i) for i in range(count)]
    sent: dict[str, float] = {}
    await fire(rig.bot, bodies, 10, json_body=True, sent=sent)
    await finished(rig, sent)
    deadline = time.monotonic() + 60
    while len(ids := await rig.json("/_bench/ids?subject=step 90000")) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the unfurl path's tickets: {len(ids)} of {count} filed")
        await asyncio.sleep(0.2)
    await idle(rig.bot_proc.pid, within=60)  # NOTE: and their records written
    return [(str(ticket_id), str(number)) for ticket_id, number in ids]


async def paths(rig: Rig, args: argparse.Namespace, rounds: Rounds) -> None:
    n = 0
    chosen = args.path or PATHS
    seeded = await seed(rig, SEEDED) if {"unfurl", "add"} & set(chosen) else []
    links = [TICKET_URL.format(id=ticket_id) for ticket_id, _ in seeded]
    for path in chosen:
        count = args.paths if path != "step" else max(10, args.paths // 4)
        for r in range(args.rounds):
            for name, url, pid in apps(rig, r):
                bodies = [path_event(path, n + i, links) for i in range(count)]
                n += count
                form = path == "add"  # NOTE: interactions are form posts, events JSON
                with profiled(pid, args.profile if name == "bot" else None, f"{path}-{r}"):
                    _, took = await timed(rig, (name, url, pid), bodies, args, json_body=not form)
                rounds.add(f"{path} → last call p50 ms", name, p(took, 0.5) * 1000)
                rounds.add(f"{path} → last call p99 ms", name, p(took, 0.99) * 1000)
                if path == "add":
                    with profiled(pid, args.profile if name == "bot" else None, f"submit-{r}"):
                        await add_submits(rig, args, rounds, (name, url, pid), seeded, first=n)


async def timed(
    rig: Rig,
    app: tuple[str, str, int],
    bodies: list[tuple[bytes, str]],
    args: argparse.Namespace,
    *,
    json_body: bool,
) -> tuple[list[float], list[float]]:
    """Send ``bodies`` to ``app`` and wait until each one's last Slack call and the app's
    backlog are done: the ack latencies, and each body's time to its last call."""
    name, url, pid = app
    sent: dict[str, float] = {}
    lat = await fire(url, bodies, args.concurrency, json_body=json_body, sent=sent)
    stamps = await finished(rig, sent)
    await idle(pid, within=300)
    took = [stamps[k] - at for k, at in sent.items() if k in stamps]
    if len(took) < len(sent):
        raise RuntimeError(f"{name}: {len(sent) - len(took)} of {len(sent)} never finished")
    return lat, took


async def add_submits(
    rig: Rig,
    args: argparse.Namespace,
    rounds: Rounds,
    app: tuple[str, str, int],
    seeded: list[tuple[str, str]],
    first: int,
) -> None:
    """Submit each picker just shown: the ack, and submit → the outcome's ``views.update``
    (the comment sent to HostUp and both threads told before it). ``first``: the bare app's
    made-up views are numbered from it (one number per view in the whole run)."""
    name = app[0]
    pickers: list[list[str]] = await rig.json("/_bench/pickers") if name == "bot" else []
    count = len(pickers) if name == "bot" else args.paths
    bodies = []
    for i in range(count):
        picker = (pickers[i][0], pickers[i][1]) if pickers else None
        key = f"views.update {picker[0] if picker else f'{BARE_ADD_VIEW}{first + i}'}"
        bodies.append((add_submit(picker, seeded[i % len(seeded)], first + i), key))
    comments = sum((await rig.json("/_bench/comments")).values())
    lat, took = await timed(rig, app, bodies, args, json_body=False)
    # NOTE: an outcome's update is also where an error would show: count what HostUp got
    added = sum((await rig.json("/_bench/comments")).values()) - comments
    if added != count:
        raise RuntimeError(f"{name} add submit: {added} comments for {count} submits")
    rounds.add("add submit ack p99 ms", name, p(lat, 0.99) * 1000)
    rounds.add("add submit → last call p50 ms", name, p(took, 0.5) * 1000)
    rounds.add("add submit → last call p99 ms", name, p(took, 0.99) * 1000)


TARGETS: dict[str, float] = {
    "message CPU µs": 1.2,
    "message ack p99 ms": 1.2,
    "views.open p50 ms": 1.1,
    "views.open p99 ms": 1.25,
    "/ticket ack p99 ms": 1.25,
    "submit ack p99 ms": 1.25,
    "→ last call p99 ms": 1.5,
}


def target_of(figure: str) -> float | None:
    return next((t for key, t in TARGETS.items() if figure.startswith(key) or key in figure), None)


def report(rounds: Rounds, args: argparse.Namespace) -> str:
    head = ("figure", "ticketbot", "bare bolt", "ratio", "target", "")
    rows = [head]
    for figure, app in rounds.values:
        if app != "bot":
            continue
        bot, bare, ratio = rounds.median(figure, "bot"), rounds.median(figure, "bare"), 0.0
        ratio = rounds.ratio(figure)
        target = target_of(figure)
        mark = "" if target is None else ("✓" if ratio <= target else "✗")
        rows.append(
            (
                figure,
                f"{bot:.1f}",
                f"{bare:.1f}",
                f"{ratio:.2f}×",
                f"≤ {target}×" if target else "",
                mark,
            )
        )
    widths = [max(len(x[i]) for x in rows) for i in range(len(head))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)) + " |" for x in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def run(args: argparse.Namespace) -> Rounds:
    rig = Rig(args.latency)
    rig.config = CONFIG
    if args.bot_src:
        # NOTE: ``python -m`` puts the working directory first on sys.path
        rig.bot_cwd = args.bot_src
    rounds = Rounds()
    try:
        await rig.start()
        await fire(rig.bot, [(body_for("command", 99_999_999)[0], "")], 1, json_body=False)
        await asyncio.sleep(1)
        steps: dict[str, Callable[[], Any]] = {
            "messages": lambda: messages(rig, args, rounds),
            "tail": lambda: tail(rig, args, rounds, loaded=False),
            "tail-loaded": lambda: tail(rig, args, rounds, loaded=True),
            "paths": lambda: paths(rig, args, rounds),
        }
        for phase in args.phases:
            for name, step in steps.items():
                if name.startswith(phase):
                    started = time.monotonic()
                    await step()
                    print(f"{name}: {time.monotonic() - started:.0f} s", file=sys.stderr)
    finally:
        rig.stop()
        print(f"process logs: {rig.tmp}", file=sys.stderr)
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.edges", description=__doc__)
    parser.add_argument("phases", nargs="*", choices=[*PHASES, []], help="all by default")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (≥ 3)")
    parser.add_argument("--events", type=int, default=3000, help="message events per round")
    parser.add_argument("--alerts", type=int, default=30, help="alerts in 100 message events")
    parser.add_argument("--tail", type=int, default=1000, help="/ticket requests per round")
    parser.add_argument("--paths", type=int, default=500, help="events per path and round")
    parser.add_argument("--path", action="append", choices=PATHS)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--rate", type=float, help="tail: send at this rate (open loop), not 50 in flight"
    )
    parser.add_argument("--latency", type=float, default=0.3, help="provider latency, s")
    parser.add_argument("--profile", help="py-spy the bot's rounds into this folder")
    parser.add_argument("--bot-src", help="run the bot from this checkout (an A/B)")
    args = parser.parse_args()
    args.phases = args.phases or list(PHASES)
    if args.bot_src:
        args.bot_src = os.path.abspath(args.bot_src)
    before = load_average()
    rounds = asyncio.run(run(args))
    print(
        f"ticketbot edges: {args.rounds} alternating rounds, {args.concurrency} in flight, "
        f"{os.cpu_count()} cores, load average {before} → {load_average()}"
    )
    print(report(rounds, args))


if __name__ == "__main__":
    main()
