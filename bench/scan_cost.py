"""What the disclosure scan costs: ``python -m bench.scan_cost``.

In process: CPU per scanned message (process time) for what the bot scans: a form's
3,000-character description (ordinary ops text, and one carrying secrets), a thread reply, a
1 MB text file, and hostile inputs built to make patterns backtrack; with the default policy
(``secrets``) and with every category.

End to end: two bots as real processes on loopback, one scanning (default policy) and one not
(``redact = []``), take turns acking view submissions with a 3,000-character description and
opening modals; the difference of their ack figures is what the scan adds to the submit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.run import Rig, body_for, cpu_seconds, idle, load, send, session, until
from bench.store_figures import p
from bot.disclosure.scanner import scan
from bot.domain.disclosure import Category, DisclosurePolicy
from tests.disclosure_corpus import OPS_TEXT, PERSONAL, SECRETS, payload_texts

DEFAULT = DisclosurePolicy()
EVERYTHING = DisclosurePolicy(redact=tuple(Category))


def _fit(text: str, size: int) -> str:
    return (text * (size // max(1, len(text)) + 1))[:size]


def texts() -> dict[str, str]:
    ops = OPS_TEXT + "".join(t for _, t in payload_texts())
    secrets = "\n".join(f"seen: {example}" for _, example, _ in [*SECRETS, *PERSONAL])
    return {
        "description 3,000 chars, ops text": _fit(ops, 3000),
        "description 3,000 chars, 25 findings": _fit(secrets + "\n" + ops, 3000),
        "thread reply 300 chars": _fit(ops, 300),
        "text file 1 MB, ops text": _fit(ops, 1_048_576),
        "hostile: password= + 3,000 x": "password=" + "x" * 3000,
        "hostile: 3,000 x 'a:' (URL userinfo)": "://" + "a:" * 1500 + "@",
        "hostile: 3,000 digits and spaces": "4 " * 1500,
        "hostile: 100 KB one line of 'AKIA'": "AKIA" * 25_000,
        "hostile: 2,000 key headers": "-----BEGIN RSA PRIVATE KEY-----\n" * 2000,
    }


def cpu_per_call(fn: Callable[[], Any], budget: float = 0.5) -> tuple[float, float]:
    """(mean CPU s, p99 wall s) of ``fn``, called for about ``budget`` seconds."""
    walls: list[float] = []
    started_cpu, deadline = time.process_time(), time.perf_counter() + budget
    while time.perf_counter() < deadline or len(walls) < 5:
        t = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t)
    return (time.process_time() - started_cpu) / len(walls), p(walls, 0.99)


def in_process() -> list[tuple[str, str, str, str]]:
    rows = []
    for name, text in texts().items():
        for label, policy in (("secrets", DEFAULT), ("all kinds", EVERYTHING)):
            cpu, p99 = cpu_per_call(lambda t=text, pol=policy: scan(t, pol))  # type: ignore[misc]
            per_kchar = cpu / len(text) * 1e6 * 1000
            rows.append((name, label, f"{cpu * 1e3:.2f} / {p99 * 1e3:.2f}", f"{per_kchar:.1f}"))
    return rows


async def end_to_end(args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    rigs = {"scan on": Rig(0.05), "scan off": Rig(0.05, options="redact = []")}
    figures: dict[str, dict[str, list[float]]] = {name: {} for name in rigs}
    description = texts()["description 3,000 chars, ops text"]
    used: dict[str, set[str]] = {name: set() for name in rigs}  # NOTE: each fake counts V1…
    try:
        for rig in rigs.values():
            await rig.start()
            await load(rig.bot, "command", 1, 1)  # the departments cache
        per_round = args.submits // args.rounds
        for n in range(args.rounds):
            for name, rig in rigs.items():
                cpu = cpu_seconds(rig.bot_proc.pid)
                first = 1 + n * per_round  # NOTE: a trigger id is good once; 0 warmed the cache
                opened = await load(rig.bot, "command", per_round, 1, first=first)
                views = await fresh_views(rig, used[name], per_round)
                acks = []
                async with session(1) as client:
                    for i in range(per_round):
                        body, _ = body_for("view_submission", first + i, views.pop(), description)
                        acks.append(await send(client, f"{rig.bot}/slack/events", body))
                await idle(rig.bot_proc.pid)
                spent = cpu_seconds(rig.bot_proc.pid) - cpu
                figures[name].setdefault("submit", []).extend(acks)
                figures[name].setdefault("command", []).extend(opened)
                figures[name].setdefault("cpu", []).append(spent / per_round)
    finally:
        for rig in rigs.values():
            rig.stop()
    return figures


async def fresh_views(rig: Rig, used: set[str], count: int) -> list[tuple[str, str]]:
    """``count`` modals the bot opened that were not submitted yet (views.open follows the
    ack, so they are waited for)."""
    views: list[tuple[str, str]] = []

    async def opened() -> bool:
        views[:] = [
            (str(v[0]), str(v[1])) for v in await rig.json("/_bench/views") if str(v[0]) not in used
        ]
        return len(views) >= count

    await until(opened, within=60)
    used.update(view for view, _ in views)
    return views


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scan_cost", description=__doc__)
    parser.add_argument("--submits", type=int, default=400, help="per bot, 3,000-char each")
    parser.add_argument("--rounds", type=int, default=4, help="the two bots take turns")
    args = parser.parse_args()
    print(f"disclosure scan, {os.cpu_count()} cores")
    print("| text | policy | CPU / p99 wall per scan ms | CPU µs per 1,000 chars |")
    print("|---|---|---|---|")
    for row in in_process():
        print("| " + " | ".join(row) + " |")
    figures = asyncio.run(end_to_end(args))
    print(f"\n{args.submits} submits per bot (one at a time), 3,000-char description")
    print("| bot | submit ack p50 / p99 ms | /ticket ack p50 / p99 ms | CPU per filed ticket ms |")
    print("|---|---|---|---|")
    for name, f in figures.items():
        s, c = f["submit"], f["command"]
        print(
            f"| {name} | {p(s, 0.5) * 1e3:.1f} / {p(s, 0.99) * 1e3:.1f} | "
            f"{p(c, 0.5) * 1e3:.1f} / {p(c, 0.99) * 1e3:.1f} | "
            f"{statistics.mean(f['cpu']) * 1e3:.2f} |"
        )


if __name__ == "__main__":
    main()
