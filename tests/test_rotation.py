"""Rotating the signing secret: with ``SLACK_SIGNING_SECRET_PREVIOUS`` set, requests signed and
seals made with the previous secret still verify, so cards already posted keep working and a
replica not yet restarted answers like one that is."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from bot.slack.seal import Seal
from tests.conftest import BotFactory, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.flows import modal_text, open_form
from tests.slack_driver import SIGNING_SECRET, sign

NEW_SECRET = "rotated-signing-secret-51e0"
FILLED = {"department": "vps", "subject": "db1 unreachable", "description": "Ping fails."}
FORM = "application/x-www-form-urlencoded"


async def test_the_previous_secret_verifies_requests_and_opens_seals(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(
        hostup_table(hostup),
        env={"SLACK_SIGNING_SECRET": NEW_SECRET, "SLACK_SIGNING_SECRET_PREVIOUS": SIGNING_SECRET},
    )
    body = urlencode({"payload": "{}"}).encode()
    now = int(time.time())
    for secret, status in ((NEW_SECRET, 400), (SIGNING_SECRET, 400), ("someone-else", 401)):
        response = await bot.driver.send(body, FORM, signature=sign(body, now, secret))
        assert response.status_code == status, secret  # 400: verified, then the body is empty

    view_id = await open_form(bot)  # signed with the previous secret by the driver
    view = slack.view(view_id)
    _, text = view["private_metadata"].split(".", 1)
    forged = {**view, "private_metadata": Seal(["someone-else"]).seal(text, "modal:UANA")}
    answer = (await bot.driver.submit(view_id, FILLED, view=forged)).json()
    assert "could not be verified" in modal_text(answer["view"])

    # A modal opened before the rotation carries a seal made with the previous secret.
    before = {**view, "private_metadata": Seal([SIGNING_SECRET]).seal(text, "modal:UANA")}
    answer = (await bot.driver.submit(view_id, FILLED, view=before)).json()
    assert "Filing" in modal_text(answer["view"])
    await slack.wait_for("chat.postMessage")
    assert len(hostup.tickets) == 1
