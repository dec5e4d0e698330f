"""`ticketbot run` as a real process: serves signed traffic, stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from tests.conftest import base_env, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.slack_driver import SlackDriver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_run_serves_and_stops_cleanly_on_sigterm(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    (tmp_path / "ticketbot.toml").write_text(hostup_table(hostup), encoding="utf-8")
    port = free_port()
    env = {**os.environ, **base_env(tmp_path, slack), "PORT": str(port), "HOST": "127.0.0.1"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                try:
                    if (await client.get(f"{url}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        driver = SlackDriver(url, slack)
        response = await driver.command("")
        await driver.close()
        assert (response.status_code, response.text) == (200, "")
        await slack.wait_for_view("field:subject")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=15)
    assert process.returncode == 0, stderr.decode()
    log = stderr.decode()
    assert '"msg": "shutting down: no new requests, finishing in-flight work"' in log
    assert "hostup-test-key" not in log and "xoxb-test" not in log
