"""First run, as a new user meets it: ``ticketbot run`` in either mode against a fake Slack that
refuses a token, is down, or works; a port in use; a second process on the same database."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from pathlib import Path

import httpx

from tests.conftest import hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import APP_TOKEN, FakeSlack
from tests.processes import free_port, start_bot
from tests.slack_driver import command_payload


async def healthz(url: str, within: float = 5.0) -> httpx.Response:
    """The first answer of ``/healthz`` (the port opens before Slack is connected)."""
    async with httpx.AsyncClient() as client:
        deadline = time.monotonic() + within
        while True:
            try:
                return await client.get(f"{url}/healthz")
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)


async def health_saying(url: str, words: str, within: float = 10.0) -> None:
    """Return once ``/healthz``'s reason says ``words``."""
    async with httpx.AsyncClient() as client:
        deadline = time.monotonic() + within
        while words not in str((body := (await client.get(f"{url}/healthz")).json()).get("reason")):
            assert time.monotonic() < deadline, f"/healthz never said {words!r}: {body}"
            await asyncio.sleep(0.05)


def config(tmp_path: Path, hostup: FakeHostUp) -> None:
    (tmp_path / "ticketbot.toml").write_text(hostup_table(hostup), encoding="utf-8")


async def test_a_refused_app_token_is_one_line_and_exit_2(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    config(tmp_path, hostup)
    started = time.monotonic()
    bot = await start_bot(tmp_path, slack, {"SLACK_APP_TOKEN": "xapp-1-wrong"}, healthy=False)
    code, log = await bot.exited()  # by itself
    assert time.monotonic() - started < 5
    assert code == 2
    lines = [line for line in log.splitlines() if not line.startswith("{")]
    assert lines == [
        "ticketbot: config error: SLACK_APP_TOKEN: Slack refused it (invalid_auth); create an "
        "app-level token with connections:write (Basic Information → App-Level Tokens), put it "
        "in SLACK_APP_TOKEN, or unset it for HTTP mode"
    ]
    assert "Traceback" not in log and "xapp-1-wrong" not in log


async def test_a_refused_bot_token_in_http_mode_is_one_line_and_exit_2(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    config(tmp_path, hostup)
    bot = await start_bot(tmp_path, slack, {"SLACK_BOT_TOKEN": "xoxb-revoked"}, healthy=False)
    code, log = await bot.exited()
    assert code == 2 and "SLACK_BOT_TOKEN: Slack refused it (invalid_auth)" in log
    assert "Traceback" not in log


async def test_slack_down_serves_healthz_at_once_and_sigterm_stops_it(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    config(tmp_path, hostup)
    down = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    env = {"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": down}
    bot = await start_bot(tmp_path, slack, env, healthy=False)
    answer = await healthz(bot.url)
    assert answer.status_code == 503
    body = answer.json()
    assert body["slack"] is False and body["database"] is True and body["reason"]
    await health_saying(bot.url, "try 2,")  # a retry made; waiting before the third
    started = time.monotonic()
    code, log = await bot.stop(signal.SIGTERM)
    assert code == 0 and time.monotonic() - started < 2
    assert "Traceback" not in log
    retries = [line for line in log.splitlines() if "not connected to Slack yet" in line]
    assert retries and all(len(line) < 400 for line in retries)  # one short line per try


async def test_socket_mode_connects_after_serving_and_answers_over_the_socket(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    """The quick start as written: Socket Mode, a fake Slack, one provider."""
    config(tmp_path, hostup)
    bot = await start_bot(tmp_path, slack, {"SLACK_APP_TOKEN": APP_TOKEN})  # healthy: connected
    try:
        # an envelope whose payload is no object is not handled; the socket stays up
        await slack.sockets[0].send_json(
            {"envelope_id": "bad", "type": "interactive", "payload": [1]}
        )
        ack = await slack.deliver(
            "slash_commands",
            command_payload(slack),
        )
        assert ack["envelope_id"]
        view_id = await slack.wait_for_view("field:subject")
        assert "HostUp" in json.dumps(slack.view(view_id))
    finally:
        code, log = await bot.stop()
    assert code == 0 and "Traceback" not in log, log[log.find("Traceback") - 500 :][:2500]
    assert "Unsupported payload data type" in log  # the SDK's own check, in one line
    started = next(json.loads(line) for line in log.splitlines() if "ticketbot started" in line)
    assert started["mode"] == "socket" and started["providers"] == ["hostup"]
    assert started["version"] and started["listen"].endswith(bot.url.rsplit(":", 1)[1])
    assert started["database"].endswith("ticketbot.db")


async def test_a_port_in_use_is_one_line_and_exit_2(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    config(tmp_path, hostup)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        bot = await start_bot(tmp_path, slack, {"PORT": str(port)}, healthy=False)
        code, log = await bot.exited()
    assert code == 2
    lines = [line for line in log.splitlines() if not line.startswith("{")]
    assert len(lines) == 1 and f"PORT: cannot listen on 127.0.0.1:{port}" in lines[0]


async def test_a_second_process_on_the_same_database_is_refused(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    config(tmp_path, hostup)
    first = await start_bot(tmp_path, slack)
    try:
        second = await start_bot(tmp_path, slack, healthy=False)
        code, log = await second.exited()
    finally:
        await first.stop()
    assert code == 2
    assert f"is in use by another ticketbot (PID {first.process.pid})" in log
    again = await start_bot(tmp_path, slack)  # the lock went with the first process
    assert (await again.stop())[0] == 0
