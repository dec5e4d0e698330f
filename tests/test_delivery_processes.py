"""Never lose, never twice, across processes: a SIGTERM mid-burst, a kill -9 mid-call, and the
restart after each; over loopback, against real ``ticketbot run`` processes."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.conftest import hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.fakes.vpsbg import FakeVpsbg
from tests.processes import open_modals, refs_at, settled, start_bot, submit_all
from tests.provider_cases import BY_KIND, provider_table


async def test_sigterm_mid_burst_then_restart_files_each_acked_submission_once_or_unsure(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """Finding 1: a SIGTERM during a burst against a 2 s provider with no ticket list; on
    restart the twin check ran even for submissions never sent, and marked them failed (121 of
    171 never filed, all 171 with an error card)."""
    case = BY_KIND["vpsbg"]
    fake = FakeVpsbg()
    await fake.start()
    try:
        table = provider_table(case, fake.url, extra="timeout_seconds = 5\nmax_connections = 50\n")
        (tmp_path / "ticketbot.toml").write_text(f"[ticketbot]\ndrain_seconds = 2\n{table}")
        first = await start_bot(tmp_path, slack, case.env)
        views = await open_modals(first, slack, 150)
        fake.fail(delay_after=2.0, times=10_000, path_contains="/support/tickets")
        values = {"department": "Tech support", "description": "Disk at 97%"}
        acked = await submit_all(first, slack, views, values)
        await slack.until(  # mid-burst: 50 calls in flight, 100 not sent yet
            lambda: fake.seen.count(("POST", "/v1/support/tickets")) >= 50,
            "50 creates in flight",
            within=20,
        )
        code, log = await first.stop(signal.SIGTERM)
        assert code == 0, log
        assert acked == 150
        second = await start_bot(tmp_path, slack, case.env)
        try:
            final = await settled(tmp_path / "ticketbot.db", 150)
        finally:
            await second.stop()
        at_provider = refs_at(fake.tickets)
        filed = [s for s, state in final.items() if state == "filed"]
        unsure = [s for s, state in final.items() if state == "unsure"]
        assert len(filed) + len(unsure) == 150
        assert all(at_provider[s] == 1 for s in filed)  # each filed once
        assert all(at_provider[s] <= 1 for s in unsure)  # never twice
        assert sum(at_provider.values()) == len(fake.tickets)  # nothing else was created
        assert len(unsure) <= 50  # only the calls in flight at the stop can be unknowable
        texts = [str(m["text"]) for m in slack.channels["C0GENERAL"].messages]
        assert not [t for t in texts if t.startswith(":x:")]  # no error card
        assert len([t for t in texts if "Unsure" in t]) == len(unsure)
    finally:
        await fake.stop()


async def test_kill_9_mid_call_then_restart_finds_the_ticket_instead_of_failing(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    """Finding 1: after kill -9 mid-call the ticket existed but the card said ✗."""
    (tmp_path / "ticketbot.toml").write_text(  # NOTE: held answers outlast no timeout
        hostup_table(hostup, extra="poll_seconds = 3600", timeout=60), encoding="utf-8"
    )
    first = await start_bot(tmp_path, slack)
    views = await open_modals(first, slack, 5)
    hostup.fail(delay_after=30, times=5, path_contains="/support/tickets")  # filed, no answer
    values = {"department": "vps", "description": "Ping fails."}
    assert await submit_all(first, slack, views, values) == 5
    await slack.until(lambda: len(hostup.tickets) == 5, "five creates")
    await first.stop(signal.SIGKILL)
    second = await start_bot(tmp_path, slack)

    def cards() -> list[str]:
        texts = [str(m["text"]) for m in slack.channels["C0GENERAL"].messages]
        return [t for t in texts if "HostUp ticket #" in t]

    try:
        final = await settled(tmp_path / "ticketbot.db", 5)
        await slack.until(lambda: len(cards()) == 5, "five ticket cards")
    finally:
        await second.stop()
    assert set(final.values()) == {"filed"} and len(hostup.tickets) == 5
    cards_text = [str(m["text"]) for m in slack.channels["C0GENERAL"].messages]
    assert len(cards()) == 5
    assert not [t for t in cards_text if t.startswith(":x:")]


def test_a_database_that_cannot_be_used_is_one_line_and_exit_2(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    """Finding 5: a corrupt or truncated file printed a traceback and kept running without
    /healthz; a missing directory gave a traceback and exit 1."""
    import os
    import subprocess
    import sys

    from tests.conftest import base_env

    (tmp_path / "ticketbot.toml").write_text(hostup_table(hostup), encoding="utf-8")
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\x13" * 5000)
    cases = {
        str(tmp_path / "missing" / "ticketbot.db"): "does not exist",
        str(corrupt): "is not a ticketbot database or is damaged",
    }
    for db, said in cases.items():
        env = {**os.environ, **base_env(tmp_path, slack), "TICKETBOT_DB": db, "PORT": "0"}
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and said in lines[0] and db in lines[0], done.stderr
