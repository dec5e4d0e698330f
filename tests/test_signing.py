"""Only requests signed with our secret, within five minutes, get through."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from tests.conftest import RunningBot
from tests.fakes.slack_api import FakeSlack
from tests.slack_driver import sign

BODY = urlencode(
    {
        "command": "/ticket",
        "text": "",
        "team_id": "T0001",
        "user_id": "UANA",
        "channel_id": "C0GENERAL",
        "trigger_id": "1.2.x",
    }
).encode()
FORM = "application/x-www-form-urlencoded"


async def test_bad_signature_is_refused(hostup_bot: RunningBot, slack: FakeSlack) -> None:
    response = await hostup_bot.driver.send(BODY, FORM, signature="v0=" + "0" * 64)
    assert response.status_code == 401
    assert not slack.calls_to("views.open")


async def test_signature_with_another_secret_is_refused(hostup_bot: RunningBot) -> None:
    ts = int(time.time())
    response = await hostup_bot.driver.send(
        BODY, FORM, timestamp=ts, signature=sign(BODY, ts, "not-our-secret")
    )
    assert response.status_code == 401


async def test_stale_timestamp_is_refused_even_when_signed(hostup_bot: RunningBot) -> None:
    ts = int(time.time()) - 301
    response = await hostup_bot.driver.send(BODY, FORM, timestamp=ts, signature=sign(BODY, ts))
    assert response.status_code == 401


async def test_tampered_body_is_refused(hostup_bot: RunningBot) -> None:
    ts = int(time.time())
    response = await hostup_bot.driver.send(
        BODY + b"&text=x", FORM, timestamp=ts, signature=sign(BODY, ts)
    )
    assert response.status_code == 401


async def test_healthz(hostup_bot: RunningBot) -> None:
    response = await hostup_bot.driver.http.get(f"{hostup_bot.url}/healthz")
    assert response.json() == {"ok": True, "database": True, "slack": True}
