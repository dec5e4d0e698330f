"""Two real bot processes (HTTP mode, two ports) on one real PostgreSQL, signed requests sent to
them in turn; one is killed with SIGKILL in the middle of a burst and started again."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.conftest import hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import APP_TOKEN, TEAM, FakeSlack
from tests.processes import BotProcess, open_modals, start_bot
from tests.slack_driver import SlackDriver, command_payload, fill

BURST = 200
NEWER = 120  # tickets filed at the provider by others after the burst's attempts
VALUES = {"department": "vps", "description": "Ping fails."}
SETTLED = {"filed", "unsure"}


async def _states(url: str) -> dict[int, str]:
    connection = await asyncpg.connect(url)
    try:
        return {
            r["id"]: r["state"] for r in await connection.fetch("SELECT id, state FROM submissions")
        }
    finally:
        await connection.close()


async def _until(check: Any, what: str, within: float = 60) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while not (found := await check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
    return found


async def _in_flight(url: str) -> bool:
    """Both replicas have creates out that the provider has not answered yet."""
    connection = await asyncpg.connect(url)
    try:
        holders = await connection.fetchval(
            "SELECT count(DISTINCT claimed_by) FROM submissions WHERE state = 'filing' AND sent = 1"
        )
    finally:
        await connection.close()
    return bool(holders >= 2)


async def _submit(bot: BotProcess, slack: FakeSlack, view_id: str, n: int) -> bool:
    """Submit one modal; whether Slack saw it acknowledged ("Filing…")."""
    driver = SlackDriver(bot.url, slack)
    try:
        answer = await driver.submit(
            view_id, {**VALUES, "subject": f"burst {n}"}, view=dict(slack.view(view_id))
        )
    except httpx.TransportError:  # the replica was killed: Slack saw no ack
        return False
    finally:
        await driver.close()
    return answer.status_code == 200 and "Filing" in answer.text


def _subjects(hostup: FakeHostUp) -> Counter[str]:
    return Counter(str(t["subject"]) for t in hostup.tickets.values())


def _cards(slack: FakeSlack, subject: str) -> int:
    """Top-level messages in the channel that are this ticket's card."""
    pattern = re.compile(rf"· {re.escape(subject)} ·")
    return sum(
        1
        for m in slack.channels["C0GENERAL"].messages
        if not m.get("thread_ts") and pattern.search(str(m.get("text")))
    )


async def test_two_replicas_one_killed_mid_burst_file_every_acked_ticket_once(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp, postgres_url: str
) -> None:
    (tmp_path / "ticketbot.toml").write_text(
        "[ticketbot]\nreplica_timeout_seconds = 2\n\n"
        + hostup_table(hostup, extra="poll_seconds = 1", timeout=10),
        encoding="utf-8",
    )
    env = {"TICKETBOT_DB": postgres_url}
    a, b = await asyncio.gather(start_bot(tmp_path, slack, env), start_bot(tmp_path, slack, env))
    bots = [a, b]
    try:
        # modals opened through both; each submitted through the other one
        await open_modals(a, slack, BURST // 2)
        views = await open_modals(b, slack, BURST)
        opened_by = {v: ("a" if i < BURST // 2 else "b") for i, v in enumerate(views)}
        # NOTE: each create is done at once and answered 300 ms later, so the kill leaves
        # tickets filed at HostUp whose answer never reached the killed replica
        hostup.fail(delay_after=0.3, times=10 * BURST, method="POST", path_contains="/tickets")
        hostup.paging = "pages"  # NOTE: not the cursor the adapter was first written for
        tasks = [
            asyncio.ensure_future(_submit(b if opened_by[v] == "a" else a, slack, v, n))
            for n, v in enumerate(views)
        ]
        await _until(lambda: _in_flight(postgres_url), "creates in flight on both replicas")
        await a.stop(signal.SIGKILL)
        now = datetime.now(UTC).isoformat()
        for n in range(NEWER):  # the team files more before the survivor looks
            hostup.seed(f"other {n}", now)
        acked = [n for n, ok in enumerate(await asyncio.gather(*tasks)) if ok]
        a = await start_bot(tmp_path, slack, env)
        bots = [a, b]

        async def all_settled() -> dict[int, str] | None:
            now = await _states(postgres_url)
            return now if set(now.values()) <= SETTLED else None

        final = await _until(all_settled, "every submission settled")
        subjects = _subjects(hostup)
        lookups = [r for r in hostup.requests if r.method == "GET" and r.path.endswith("/tickets")]
        print(f"acked {len(acked)}, tickets {len(hostup.tickets)}, list reads {len(lookups)}")
        assert lookups, "the survivor looked for what the killed replica had sent"
        assert len(acked) > BURST // 4  # the kill landed mid-burst, both replicas acked
        assert all(subjects[f"burst {n}"] == 1 for n in acked), "acked, filed exactly once"
        assert max(subjects.values()) == 1, "no ticket filed twice"
        assert len(hostup.tickets) == len(acked) + NEWER + (len(final) - len(acked))
        assert set(final.values()) == {"filed"}
        await _until(
            lambda: _async(all(_cards(slack, f"burst {n}") == 1 for n in acked)),
            "one card per acked ticket",
        )
        cross = [n for n in acked if opened_by[views[n]] == "b"]
        assert cross, "modals opened through one replica were filed through the other"

        # a status change at the provider is posted once in its thread
        hostup.failures.clear()  # NOTE: the burst is over; 200 tickets are polled every second
        ticket = next(iter(hostup.tickets.values()))
        number = str(ticket["number"])
        gets = len(_reads(hostup, str(ticket["id"])))
        ticket["status"] = "answered"
        said = f"HostUp #{number}: open → *answered*"

        def posted() -> list[dict[str, Any]]:
            return [m for m in slack.calls_to("chat.postMessage") if said in str(m.get("text"))]

        await _until(lambda: _async(posted()), "the status change in the thread")
        # NOTE: two more reads of that ticket, by whichever replica: still one message
        await _until(
            lambda: _async(len(_reads(hostup, str(ticket["id"]))) >= gets + 3), "more polls"
        )
        assert len(posted()) == 1

        # a thread reply re-delivered to the other replica is copied once
        thread_ts = str(posted()[0]["thread_ts"])
        event = {
            "type": "message",
            "channel": "C0GENERAL",
            "user": "UANA",
            "text": "Still down here",
            "ts": "1732400000.000900",
            "thread_ts": thread_ts,
        }
        for bot, retry in ((a, None), (b, 1)):
            driver = SlackDriver(bot.url, slack)
            try:
                assert (await driver.event(event, event_id="EvR", retry=retry)).status_code == 200
            finally:
                await driver.close()
        await _until(lambda: _async(slack.calls_to("reactions.add")), "the reply's tick")
        await asyncio.gather(*(bot.drained() for bot in bots))  # a second copy is out by now
    finally:
        await asyncio.gather(*(bot.stop() for bot in bots), return_exceptions=True)
    copies = [m for m in ticket["messages"] if "Still down here" in json.dumps(m)]
    assert len(copies) == 1 and len(slack.calls_to("reactions.add")) == 1


def _reads(hostup: FakeHostUp, ticket_id: str) -> list[Any]:
    return [r for r in hostup.requests if r.method == "GET" and r.path.endswith(f"/{ticket_id}")]


async def _async(value: Any) -> Any:
    return value


async def test_socket_mode_replicas_each_hold_a_connection_and_share_the_work(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp, postgres_url: str
) -> None:
    """Two replicas in Socket Mode: each opens its own connection; a modal opened over one
    is filed over the other, and an event Slack re-delivers over the other is handled once."""
    (tmp_path / "ticketbot.toml").write_text(
        hostup_table(hostup, extra="poll_seconds = 3600"), encoding="utf-8"
    )
    env = {"TICKETBOT_DB": postgres_url, "SLACK_APP_TOKEN": APP_TOKEN}
    bots = [await start_bot(tmp_path, slack, env), await start_bot(tmp_path, slack, env)]
    try:
        assert len(slack.sockets) == 2
        command = command_payload(slack)
        await slack.deliver("slash_commands", command, socket=0)
        view_id = await slack.wait_for_view("field:subject")
        view = dict(slack.view(view_id))
        view["state"] = {"values": fill(view, {**VALUES, "subject": "over the other socket"})}
        submission = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "fake"},
            "user": {"id": "UANA", "username": "ana", "name": "ana", "team_id": TEAM},
            "api_app_id": "A0TICKET",
            "trigger_id": slack.trigger(),
            "view": view,
        }
        ack = await slack.deliver("interactive", submission, socket=1)
        assert "Filing" in json.dumps(ack)
        card = await _until(
            lambda: _async(
                [m for m in slack.channels["C0GENERAL"].messages if "HostUp ticket #" in str(m)]
            ),
            "the ticket card",
            within=20,
        )
        event = {
            "type": "event_callback",
            "team_id": TEAM,
            "event_id": "EvSock",
            "event": {
                "type": "message",
                "channel": "C0GENERAL",
                "user": "UANA",
                "text": "Any news?",
                "ts": "1732400000.000500",
                "thread_ts": card[0]["ts"],
            },
        }
        for socket in (0, 1):  # NOTE: Slack re-delivers a lost event, maybe over the other
            await slack.deliver("events_api", event, socket=socket)
        await _until(lambda: _async(slack.calls_to("reactions.add")), "the reply's tick")
        await asyncio.gather(*(bot.drained() for bot in bots))  # a second copy is out by now
    finally:
        codes = await asyncio.gather(*(bot.stop() for bot in bots))
    assert [code for code, _ in codes] == [0, 0]
    assert [str(t["subject"]) for t in hostup.tickets.values()] == ["over the other socket"]
    ticket = next(iter(hostup.tickets.values()))
    assert [m["body"] for m in ticket["messages"]] == ["ana (via Slack): Any news?"]
