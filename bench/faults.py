"""The fault bench: ``python -m bench.faults`` files bursts through real ``ticketbot run``
processes while things go wrong, and counts what became of every acknowledged submission.

Cases: kill -9 with creates in flight (HostUp, which lists tickets), SIGTERM mid-burst against
a 2 s provider with no ticket list (VPSBG), a gateway's 504 after the provider filed (HostUp),
and a ticket list that is not there (HostUp answering 405) after unanswered creates. Each
submission's ticket is found at the provider by the reference in its text, so a twin counts
as a twin and a lost ticket as lost.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakes.hostup import FakeHostUp
from tests.fakes.server import FakeServer
from tests.fakes.slack_api import FakeSlack
from tests.fakes.vpsbg import FakeVpsbg
from tests.processes import BotProcess, open_modals, refs_at, settled, start_bot, submit_all
from tests.provider_cases import BY_KIND, provider_table

HOSTUP = BY_KIND["hostup"]
VPSBG = BY_KIND["vpsbg"]
HOSTUP_VALUES = {"department": "vps", "description": "Ping fails."}
VPSBG_VALUES = {"department": "Tech support", "description": "Disk at 97%"}


@dataclass
class Tally:
    case: str
    acked: int
    filed: int
    unsure: int
    twins: int
    lost: int


@dataclass
class Run:
    """One case's bot, and how to stop it and start it again on the same database."""

    tmp: Path
    slack: FakeSlack
    env: dict[str, str]
    bot: BotProcess

    async def restart(self, sig: int) -> None:
        await self.bot.stop(sig)
        self.bot = await start_bot(self.tmp, self.slack, self.env)


async def until(check: Callable[[], bool], within: float = 30) -> None:
    for _ in range(int(within / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("the fault never came to pass")


async def run_case(
    name: str,
    fake: Any,
    table: Callable[[str], str],
    env: dict[str, str],
    values: dict[str, str],
    count: int,
    arm: Callable[[Any], object],
    fault: Callable[[Run, Any], Awaitable[None]] | None = None,
) -> Tally:
    """Open ``count`` modals, ``arm`` the fake, submit them all, apply ``fault``, and count
    once every submission is settled (filed or unsure)."""
    slack = FakeSlack()
    await slack.start()
    await fake.start()
    tmp = Path(tempfile.mkdtemp(prefix="ticketbot-fault-"))
    (tmp / "ticketbot.toml").write_text(table(fake.url), encoding="utf-8")
    run = Run(tmp, slack, env, await start_bot(tmp, slack, env))
    try:
        views = await open_modals(run.bot, slack, count)
        arm(fake)
        acked = await submit_all(run.bot, slack, views, values)
        if fault is not None:
            await fault(run, fake)
        final = await settled(tmp / "ticketbot.db", count, within=180)
    finally:
        await run.bot.stop()
        await fake.stop()
        await slack.stop()
    at_provider = refs_at(fake.tickets)
    filed = [s for s, state in final.items() if state == "filed"]
    unsure = [s for s, state in final.items() if state == "unsure"]
    twins = sum(n - 1 for n in at_provider.values() if n > 1)
    lost = acked - len(filed) - len(unsure) + sum(1 for s in filed if at_provider[s] == 0)
    return Tally(name, acked, len(filed), len(unsure), twins, lost)


async def main(count: int) -> list[Tally]:
    def hostup(extra: str = "") -> Callable[[str], str]:
        return lambda url: provider_table(HOSTUP, url, extra=f"poll_seconds = 3600\n{extra}")

    async def kill_when_all_created(run: Run, fake: FakeServer) -> None:
        await until(lambda: len(fake.tickets) >= count)  # type: ignore[attr-defined]
        await run.restart(signal.SIGKILL)

    async def sigterm_mid_burst(run: Run, _: FakeServer) -> None:
        await asyncio.sleep(0.5)
        await run.restart(signal.SIGTERM)

    def list_gone(fake: FakeServer) -> None:
        fake.fail(delay_after=2.0, times=count, path_contains="/support/tickets")
        fake.fail(status=405, times=10 * count, path_contains="/support/tickets")

    return [
        await run_case(
            "kill -9, creates in flight (HostUp)",
            FakeHostUp(),
            hostup(),
            HOSTUP.env,
            HOSTUP_VALUES,
            count,
            lambda fake: fake.fail(delay_after=30, times=count, path_contains="/support/tickets"),
            kill_when_all_created,
        ),
        await run_case(
            "SIGTERM mid-burst, 2 s, no list (VPSBG)",
            FakeVpsbg(),
            lambda url: provider_table(
                VPSBG, url, extra="timeout_seconds = 5\nmax_connections = 20\n"
            ),
            VPSBG.env,
            VPSBG_VALUES,
            3 * count,
            lambda fake: fake.fail(delay_after=2.0, times=100 * count, path_contains="/tickets"),
            sigterm_mid_burst,
        ),
        await run_case(
            "504 after the create (HostUp)",
            FakeHostUp(),
            hostup(),
            HOSTUP.env,
            HOSTUP_VALUES,
            count,
            lambda fake: fake.fail(status_after=504, times=count, path_contains="/support/tickets"),
        ),
        await run_case(
            "unanswered creates, the list answers 405 (HostUp)",
            FakeHostUp(),
            hostup("timeout_seconds = 1\n"),
            HOSTUP.env,
            HOSTUP_VALUES,
            count,
            list_gone,
        ),
    ]


def report(tallies: list[Tally]) -> str:
    lines = [
        "| case | acked | filed | unsure | twins | lost |",
        "|---|---|---|---|---|---|",
    ]
    for t in tallies:
        lines.append(f"| {t.case} | {t.acked} | {t.filed} | {t.unsure} | {t.twins} | {t.lost} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--count", type=int, default=50, help="submissions per case (×3 SIGTERM)")
    print(report(asyncio.run(main(parser.parse_args().count))))
