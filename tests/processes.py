"""``ticketbot run`` as a real process on loopback, for tests that stop or kill it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import base_env
from tests.fakes.slack_api import FakeSlack


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
        _, stderr = await asyncio.wait_for(self.process.communicate(), timeout=within)
        assert self.process.returncode is not None
        return self.process.returncode, stderr.decode()


async def start_bot(
    tmp_path: Path, slack: FakeSlack, env: dict[str, str] | None = None, healthy: bool = True
) -> BotProcess:
    """Start ``python -m bot run`` in HTTP mode over ``tmp_path``'s providers file and
    database; with ``healthy``, return once ``/healthz`` answers 200."""
    port = free_port()
    full = {
        **os.environ,
        **base_env(tmp_path, slack),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        **(env or {}),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=full,
        cwd=tmp_path,
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
