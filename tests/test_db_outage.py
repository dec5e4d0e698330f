"""A database outage loses nothing (issue #27): two real replicas on PostgreSQL behind a TCP
proxy (tests/db_proxy.py), the database cut for a few seconds while creates are under way and
submits keep coming, then let through again."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from bot.store.outage import Outage
from tests.conftest import hostup_table
from tests.db_proxy import DbProxy
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.processes import BotProcess, open_modals, start_bot
from tests.slack_driver import SlackDriver

VALUES = {"department": "vps", "description": "Ping fails."}
OUTAGE_SECONDS = 4.0


async def _states(url: str) -> dict[int, str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT id, state FROM submissions")
    finally:
        await connection.close()
    return {r["id"]: r["state"] for r in rows}


async def _submit(bot: BotProcess, slack: FakeSlack, view_id: str, subject: str) -> httpx.Response:
    driver = SlackDriver(bot.url, slack)
    try:
        view = dict(slack.view(view_id))
        return await driver.submit(view_id, {**VALUES, "subject": subject}, view=view)
    finally:
        await driver.close()


async def _gauges(url: str) -> dict[str, float]:
    async with httpx.AsyncClient() as client:
        text = (await client.get(url)).text
    return {
        name: float(value)
        for line in text.splitlines()
        if line.startswith("ticketbot_database_")
        for name, value in [line.split()]
    }


def _said(answer: httpx.Response) -> str:
    return "filing" if "Filing" in answer.text else "busy" if "busy" in answer.text else "?"


def _cards(slack: FakeSlack, subject: str) -> int:
    return sum(
        1
        for m in slack.channels["C0GENERAL"].messages
        if not m.get("thread_ts")
        and "HostUp ticket #" in str(m.get("text"))
        and f"· {subject} ·" in str(m.get("text"))
    )


def _outage_lines(log: str) -> list[str]:
    lines = []
    for line in log.splitlines():
        try:
            record: dict[str, Any] = json.loads(line)
        except ValueError:
            lines.append(line)
            continue
        if record.get("level") in ("warning", "error", "critical") or "exc" in record:
            lines.append(line)
    return lines


async def test_a_database_outage_under_load_loses_nothing_and_is_told_once(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp, postgres_url: str
) -> None:
    proxy = DbProxy(postgres_url)
    through = await proxy.start()
    (tmp_path / "ticketbot.toml").write_text(
        "[ticketbot]\nreplica_timeout_seconds = 2\n\n"
        + hostup_table(hostup, extra="poll_seconds = 3600", timeout=10),
        encoding="utf-8",
    )
    env = {"TICKETBOT_DB": through}
    a, b = await asyncio.gather(
        start_bot(tmp_path, slack, env, one_port=True),
        start_bot(tmp_path, slack, env),
    )
    metrics = f"{a.url}/metrics"
    bots = {"a": a, "b": b}
    try:
        await open_modals(a, slack, 20)
        views = await open_modals(b, slack, 50)
        other = {v: (b if i < 20 else a) for i, v in enumerate(views)}  # never its opener
        before, during = views[:30], views[30:]
        # NOTE: two creates are held until the database is cut, then filed and answered
        # while it is away; the rest are done at once and answered 0.5 s later
        held = asyncio.Event()
        holding = hostup.fail(hold=held, times=2, method="POST", path_contains="/tickets")
        hostup.fail(delay_after=0.5, times=1000, method="POST", path_contains="/tickets")
        first = [
            asyncio.ensure_future(_submit(other[v], slack, v, f"before {n}"))
            for n, v in enumerate(before)
        ]
        await slack.until(
            lambda: len(hostup.tickets) >= 5 and not holding.times,
            "creates under way, two of them held",
            within=20,
        )
        proxy.cut()
        cut_at, created_at_cut = time.monotonic(), len(hostup.tickets)
        held.set()
        timed: list[tuple[float, httpx.Response]] = []
        for n, v in enumerate(during):
            started = time.monotonic()
            answer = await _submit(other[v], slack, v, f"during {n}")
            timed.append((time.monotonic() - started, answer))
        away = await _gauges(metrics)
        assert away["ticketbot_database_away"] == 1 and away["ticketbot_database_failed_calls"] > 0
        answers = {f"before {n}": a for n, a in enumerate(await asyncio.gather(*first))}
        answers |= {f"during {n}": a for n, (_, a) in enumerate(timed)}
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))  # its length
        await slack.until(  # the held two, at least, answered while it was away
            lambda: len(hostup.tickets) - created_at_cut >= 2, "the held creates", within=20
        )
        created_in_outage = len(hostup.tickets) - created_at_cut
        proxy.restore()

        assert all(a.status_code == 200 for a in answers.values()), "no HTTP 5xx"
        assert all(_said(a) == "busy" for _, a in timed), [a.text[:200] for _, a in timed]
        assert max(seconds for seconds, _ in timed) < 3.0
        # what was refused is submitted again by its filer, now that the database is back
        refused = {
            s: v
            for s, v in zip(answers, before + during, strict=True)
            if _said(answers[s]) == "busy"
        }
        again = await asyncio.gather(*(_submit(other[v], slack, v, s) for s, v in refused.items()))
        assert all(_said(a) == "filing" for a in again), [a.text[:200] for a in again]
        accepted = set(answers)  # every submit was filed in the end, once

        async def all_filed() -> dict[int, str] | None:
            now = await _states(postgres_url)
            return now if len(now) == len(accepted) and set(now.values()) == {"filed"} else None

        deadline = time.monotonic() + 60
        while (final := await all_filed()) is None:
            assert time.monotonic() < deadline, Counter((await _states(postgres_url)).values())
            await asyncio.sleep(0.2)
        subjects = Counter(str(t["subject"]) for t in hostup.tickets.values())
        assert subjects == Counter(accepted), "each filed once at HostUp: no twin, none lost"
        await slack.until(
            lambda: all(_cards(slack, s) == 1 for s in accepted), "one card each", within=20
        )
        assert len(final) == len(accepted)
        back = await _gauges(metrics)
        assert back["ticketbot_database_away"] == 0 and back["ticketbot_database_failed_calls"] == 0
        print(
            f"submits {len(answers)}: {Counter(_said(a) for a in answers.values())} at first;"
            f" slowest answer in the outage {max(t for t, _ in timed):.2f}s; creates at the cut"
            f" {created_at_cut}, answered while away {created_in_outage}; filed {len(final)}"
        )
    finally:
        logs = {name: (await bot.stop())[1] for name, bot in bots.items()}
        await proxy.close()
    for name, log in logs.items():
        lines = _outage_lines(log)
        print(f"replica {name}: {len(lines)} lines at warning or above")
        for line in lines:
            print(f"  {line[:300]}")
        assert "Traceback" not in log
        assert sum("database outage began" in line for line in lines) == 1
        assert sum("database outage ended" in line for line in lines) == 1
        # NOTE: bolt's start-up notice and the outage's two; with this test's 2 s heartbeat
        # timeout a loaded machine may also make one replica take over the other's work (safe:
        # every write of an attempt is fenced by its claim), which is a line of its own
        told = [line for line in lines if "took over what a stopped replica left" not in line]
        assert len(told) <= 3, "\n".join(lines)


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def test_an_answer_to_a_statement_sent_before_the_outage_began_does_not_end_it() -> None:
    """Seen as a second "outage began" line under a poller's concurrent reads: a statement
    already answered on another connection landed just after the first failure."""
    outage = Outage((ConnectionError,), "db")
    earlier = outage.watch()
    earlier.__enter__()
    with pytest.raises(ConnectionError), outage.watch():
        raise ConnectionError
    assert outage.away
    earlier.__exit__(None, None, None)  # answered, but it was sent before the outage began
    assert outage.away
    with outage.watch():
        pass  # sent after: the database answers again
    assert not outage.away
