"""Fixtures: the fakes on loopback, and the bot itself serving real HTTP on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from bot.compose import Bot, compose
from bot.runtime import Runtime, running
from bot.settings import load_settings
from bot.slack.app import build_app
from bot.slack.server import build_web_app
from bot.tickets.filing import RetryPolicy
from tests import postgres
from tests.fakes import hostup as hostup_fake
from tests.fakes.billingserv import FakeBillingServ
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.slack_driver import SIGNING_SECRET, SlackDriver

FAST_RETRIES = RetryPolicy(window=5.0, base_delay=0.05, max_delay=0.5)


@pytest.fixture(scope="session", autouse=True)
def _probe_postgres() -> None:
    """Ask once, before any test's event loop runs, whether a PostgreSQL server answers."""
    if not postgres._PROBED:
        postgres._PROBED.append(asyncio.run(postgres._reachable()))


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for this test (skipped where there is no server)."""
    postgres.require_server()
    async with postgres.fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Where a store lives, once per backend: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "t.db")
        return
    postgres.require_server()
    async with postgres.fresh_database() as url:
        yield url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # NOTE: under pytest-xdist the tests ran in workers, each with its own probe: the
    # controller, which prints this summary, asks the server once itself
    if not postgres._PROBED:
        postgres._PROBED.append(asyncio.run(postgres._reachable()))
    problem = postgres.SKIPPED[0] if postgres.SKIPPED else postgres._PROBED[0]
    if problem is not None and not postgres.REQUIRED:
        terminalreporter.write_line(
            f"PostgreSQL tests skipped: no server at {postgres.where()} "
            f"({problem[:120]}); set TICKETBOT_TEST_DATABASE_URL to run them"
        )


@dataclass
class RunningBot:
    url: str
    deps: Bot  # the composed Bot; named so for the ~100 test lines that read bot.deps
    driver: SlackDriver
    slack: FakeSlack
    runtime: Runtime

    async def idle(self, within: float = 10) -> None:
        """Wait until nothing is under way in the bot (``Runtime.idle``): the barrier before
        asserting that something did not happen. ``within``: fail, naming what is still busy."""
        try:
            async with asyncio.timeout(within):
                await self.runtime.idle()
        except TimeoutError:
            raise AssertionError(f"never idle: {', '.join(self.runtime.busy())}") from None


BotFactory = Callable[..., Awaitable[RunningBot]]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def billing() -> AsyncIterator[FakeBillingServ]:
    fake = FakeBillingServ()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def hostup() -> AsyncIterator[FakeHostUp]:
    fake = FakeHostUp()
    await fake.start()
    yield fake
    await fake.stop()


def hostup_table(
    fake: FakeHostUp, name: str = "hostup", extra: str = "", timeout: float = 1.0
) -> str:
    return (
        f'[providers.{name}]\nkind = "hostup"\nbase_url = "{fake.url}/api/v2"\n'
        'api_key_env = "HOSTUP_API_KEY"\n'
        'ticket_url = "https://cloud.hostup.se/support/tickets/{id}"\n'
        f"timeout_seconds = {timeout}\n{extra}\n"
    )


def base_env(tmp_path: Path, slack: FakeSlack) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{slack.url}/api/",
        "TICKETBOT_CONFIG": str(tmp_path / "ticketbot.toml"),
        "TICKETBOT_DB": str(tmp_path / "ticketbot.db"),
        "HOSTUP_API_KEY": hostup_fake.API_KEY,
        "METRICS_PORT": "0",  # NOTE: any free port; a fixed 9090 would clash between runs
    }


@pytest.fixture
async def make_bot(tmp_path: Path, slack: FakeSlack) -> AsyncIterator[BotFactory]:
    """Start the bot on loopback with the given providers file and extra environment."""
    async with AsyncExitStack() as stack:

        async def start(
            config: str,
            env: dict[str, str] | None = None,
            policy: RetryPolicy = FAST_RETRIES,
            options: str = 'admins = ["UANA"]',
            clock: Callable[[], float] | None = None,
            routes: str = "",
        ) -> RunningBot:
            (tmp_path / "ticketbot.toml").write_text(
                f"[ticketbot]\n{options}\n\n{config}\n{routes}", encoding="utf-8"
            )
            settings = load_settings({**base_env(tmp_path, slack), **(env or {})})
            bot = await stack.enter_async_context(
                compose(settings, policy, clock=clock or time.time)
            )
            runtime = await stack.enter_async_context(running(bot, drain_seconds=2))
            runner = web.AppRunner(
                build_web_app(build_app(bot.context), bot.context), access_log=None
            )
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            url = f"http://127.0.0.1:{port}"
            driver = SlackDriver(url, slack)
            stack.push_async_callback(driver.close)
            return RunningBot(url=url, deps=bot, driver=driver, slack=slack, runtime=runtime)

        yield start


@pytest.fixture
async def hostup_bot(make_bot: BotFactory, hostup: FakeHostUp) -> RunningBot:
    return await make_bot(hostup_table(hostup))
