"""A rolling upgrade, for real: a replica of the previous release (built from git history) and
one of this tree share one PostgreSQL database under a burst of submits, modals opened through
one and submitted through the other; then the old one is stopped mid-burst and replaced by a new
one. Nothing lost, nothing filed twice, no error in either log.

About 15 s: the old release is unpacked with ``git archive`` (no install: it runs from its
directory on this tree's virtualenv, whose dependencies it shares). Skipped, saying so, where
the clone has no such history (a shallow clone)."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import asyncpg
import pytest

from bot.store.migrations import MIGRATIONS
from tests.conftest import hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.processes import open_modals, start_bot
from tests.test_replicas import _async, _cards, _states, _subjects, _submit, _until

ROOT = Path(__file__).resolve().parent.parent
PREVIOUS = "6894e15"  # 0.2.0, as released (CHANGELOG.md); 0.1.0 was 22159ce
BURST = 60


def unpack(commit: str, into: Path) -> Path:
    """The ``bot`` package as it was at ``commit``, in ``into``."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed: the previous release cannot be built from history")
    done = subprocess.run(
        [git, "-C", str(ROOT), "archive", "--format=tar", commit, "bot"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"no git history for {commit} here ({done.stderr.decode().strip()[:100]})")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into


async def schema_version(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval("SELECT MAX(version) FROM ticketbot_schema"))
    finally:
        await connection.close()


def errors_in(log: str) -> list[str]:
    """Log lines at error level or worse, and tracebacks."""
    found = []
    for line in log.splitlines():
        try:
            level = json.loads(line).get("level", "")
        except ValueError:
            level = ""
        if level in ("error", "critical") or "Traceback" in line:
            found.append(line[:300])
    return found


async def test_the_previous_release_and_this_one_share_the_database_under_load(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp, postgres_url: str
) -> None:
    old_code = unpack(PREVIOUS, tmp_path / "previous")
    (tmp_path / "ticketbot.toml").write_text(
        # NOTE: keys both releases know: a key a release adds waits until the rollout is done
        "[ticketbot]\nreplica_timeout_seconds = 2\n\n" + hostup_table(hostup, timeout=10),
        encoding="utf-8",
    )
    env = {"TICKETBOT_DB": postgres_url}
    old = await start_bot(tmp_path, slack, env, code=old_code)  # first: it migrates
    new = await start_bot(tmp_path, slack, env)
    logs: list[str] = []
    bots = [old, new]
    try:
        assert await schema_version(postgres_url) == len(MIGRATIONS)
        views = await open_modals(old, slack, BURST // 2)
        views = await open_modals(new, slack, BURST)
        opened_by_old = set(views[: BURST // 2])
        hostup.latency = 0.2
        # each modal is submitted through the replica that did not open it
        tasks = [
            asyncio.ensure_future(_submit(new if v in opened_by_old else old, slack, v, n))
            for n, v in enumerate(views)
        ]
        await _until(lambda: _async(len(hostup.tickets) >= BURST // 4), "the burst under way")
        code, log = await old.stop()  # the rollout replaces it mid-burst
        logs.append(log)
        assert code == 0, log[-2000:]
        acked = [n for n, ok in enumerate(await asyncio.gather(*tasks)) if ok]
        replacement = await start_bot(tmp_path, slack, env)
        bots = [new, replacement]

        async def all_filed() -> dict[int, str] | None:
            now = await _states(postgres_url)
            return now if now and set(now.values()) == {"filed"} else None

        final = await _until(all_filed, "every submission filed", within=60)
        subjects = _subjects(hostup)
        assert len(acked) > BURST // 2, "both releases acked submits"
        assert all(subjects[f"burst {n}"] == 1 for n in acked), "acked, filed exactly once"
        assert max(subjects.values()) == 1, "no ticket filed twice"
        assert len(final) == len(subjects)
        await _until(
            lambda: _async(all(_cards(slack, f"burst {n}") == 1 for n in acked)),
            "one card per acked ticket",
        )
    finally:
        for bot in bots:
            _, log = await bot.stop()
            logs.append(log)
    assert [line for log in logs for line in errors_in(log)] == []
