"""`ticketbot run` as a real process: serves signed traffic, stops cleanly on SIGTERM."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.processes import start_bot
from tests.slack_driver import SlackDriver


async def test_run_serves_and_stops_cleanly_on_sigterm(
    tmp_path: Path, slack: FakeSlack, hostup: FakeHostUp
) -> None:
    (tmp_path / "ticketbot.toml").write_text(hostup_table(hostup), encoding="utf-8")
    bot = await start_bot(tmp_path, slack)
    try:
        driver = SlackDriver(bot.url, slack)
        response = await driver.command("")
        await driver.close()
        assert (response.status_code, response.text) == (200, "")
        await slack.wait_for_view("field:subject")
    finally:
        code, log = await bot.stop()
    assert code == 0, log
    assert '"msg": "shutting down: no new requests, finishing in-flight work"' in log
    assert "hostup-test-key" not in log and "xoxb-test" not in log
