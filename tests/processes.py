"""``ticketbot run`` as a real process on loopback, for tests that stop or kill it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sqlite3
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import base_env
from tests.fakes.slack_api import FakeSlack
from tests.slack_driver import SlackDriver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BotProcess:
    url: str
    process: asyncio.subprocess.Process

    async def stop(self, sig: int = signal.SIGTERM, within: float = 20) -> tuple[int, str]:
        """Send ``sig``; the exit code and everything the process logged."""
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await self.exited(within)

    async def drained(self) -> str:
        """Stop it with SIGTERM, which drains what it has under way; its log. The barrier
        before asserting that a process did *not* do something: it had every chance."""
        code, log = await self.stop()
        assert code == 0 and "parked unfinished work" not in log, log[-2000:]
        return log

    async def exited(self, within: float = 10) -> tuple[int, str]:
        """Wait for the process to end by itself; its exit code and log."""
        _, stderr = await asyncio.wait_for(self.process.communicate(), timeout=within)
        assert self.process.returncode is not None
        return self.process.returncode, stderr.decode()


async def start_bot(
    tmp_path: Path,
    slack: FakeSlack,
    env: dict[str, str] | None = None,
    healthy: bool = True,
    code: Path | None = None,
    one_port: bool = False,
) -> BotProcess:
    """Start ``python -m bot run`` in HTTP mode over ``tmp_path``'s providers file and
    database; with ``healthy``, return once ``/healthz`` answers 200. ``code``: a directory
    holding another ``bot`` package to run (an earlier release). ``one_port``: ``/metrics`` on
    the public port too (a second port picked here could be taken before the bot binds it)."""
    port = free_port()
    while str(port) == (env or {}).get("METRICS_PORT"):  # NOTE: a port just freed comes back
        port = free_port()
    full = {
        **os.environ,
        **base_env(tmp_path, slack),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        **(env or {}),
    }
    if one_port:
        full["METRICS_PORT"] = str(port)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=full,
        cwd=code or tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    bot = BotProcess(f"http://127.0.0.1:{port}", process)
    if healthy:
        async with httpx.AsyncClient() as client:
            for _ in range(400):
                if process.returncode is not None:
                    raise AssertionError((await bot.stop())[1])
                try:
                    if (await client.get(f"{bot.url}/healthz")).status_code == 200:
                        return bot
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError("the bot never became healthy")
    return bot


def states(db: Path) -> dict[int, str]:
    """Each submission's state, read from the database as it is now."""
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT id, state FROM submissions").fetchall())


REF = re.compile(r"ticketbot ref S(\d+)")
SETTLED = {"filed", "unsure"}


async def open_modals(bot: BotProcess, slack: FakeSlack, count: int) -> list[str]:
    """Open forms through ``bot`` until ``count`` are open in all (those opened through
    another replica count); every form's view id, in the order they were opened."""

    def forms() -> list[str]:
        return [v for v, view in slack.views.items() if "field:subject" in json.dumps(view)]

    driver = SlackDriver(bot.url, slack)
    try:
        await asyncio.gather(*(driver.command("") for _ in range(count - len(forms()))))
        await slack.until(lambda: len(forms()) >= count, f"{count} forms", within=20)
    finally:
        await driver.close()
    return forms()


async def submit_all(
    bot: BotProcess, slack: FakeSlack, views: list[str], values: dict[str, str]
) -> int:
    """Submit every modal at once; how many Slack saw acknowledged ("Filing…")."""
    driver = SlackDriver(bot.url, slack)
    try:
        forms = {view_id: dict(slack.view(view_id)) for view_id in views}
        answers = await asyncio.gather(
            *(
                driver.submit(v, {**values, "subject": f"burst {n}"}, view=forms[v])
                for n, v in enumerate(views)
            )
        )
    finally:
        await driver.close()
    return sum(a.status_code == 200 and "Filing" in a.text for a in answers)


async def settled(db: Path, count: int, within: float = 60) -> dict[int, str]:
    async def done() -> dict[int, str] | None:
        now = states(db)
        return now if len(now) == count and set(now.values()) <= SETTLED else None

    deadline = asyncio.get_running_loop().time() + within
    while (found := await done()) is None:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not settled: {Counter(states(db).values())}")
        await asyncio.sleep(0.1)
    return found


def refs_at(tickets: Mapping[Any, Any]) -> Counter[int]:
    """How many tickets the provider holds for each submission (by the ref in the text)."""
    found: Counter[int] = Counter()
    for ticket in tickets.values():
        for match in REF.finditer(json.dumps(ticket)):
            found[int(match.group(1))] += 1
    return found
