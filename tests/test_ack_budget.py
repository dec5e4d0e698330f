"""One budget before every ack (issue #27): the waits before a submit's ack (user-group reads,
the store, the form looked up again on a fresh process) draw from one 2.5 s deadline from
receipt; what does not fit is finished after the ack, in the modal (views.update)."""

from __future__ import annotations

import time

from tests.conftest import BotFactory, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.flows import modal_text, open_form

FILLED = {"department": "vps", "subject": "db1 unreachable", "description": "Ping fails."}
GROUPS = 'admins = []\nadmin_group = "S0ADMINS"\nallowed_groups = ["S0OPS"]'


async def test_slow_group_reads_and_a_slow_form_look_up_ack_in_time_and_finish_after(
    postgres_url: str, make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """The issue's case: on a freshly started replica, two user-group reads at 0.9 s and the
    departments look-up at 1.4 s (3.2 s in all) pushed the ack to 3.22 s."""
    slack.groups["S0ADMINS"] = {"UCAROL"}
    slack.groups["S0OPS"] = {"UANA"}
    env = {"TICKETBOT_DB": postgres_url}
    opener = await make_bot(hostup_table(hostup, timeout=3), env=env, options=GROUPS)
    view_id = await open_form(opener)
    # a replica started since: nothing looked up yet
    fresh = await make_bot(hostup_table(hostup, timeout=3), env=env, options=GROUPS)
    slack.fail(delay=0.9, times=2, path_contains="usergroups")
    hostup.fail(delay=1.4, path_contains="/departments")
    started = time.monotonic()
    answer = await fresh.driver.submit(view_id, FILLED)
    acked_in = time.monotonic() - started
    assert answer.status_code == 200 and "Checking your ticket" in answer.text
    assert acked_in < 2.9, f"acked after {acked_in:.2f}s"
    print(f"acked in {acked_in:.2f}s")
    await slack.wait_for_text(view_id, "Filing your HostUp ticket")
    await slack.until(lambda: hostup.tickets, "the ticket")
    await slack.wait_for_text(view_id, "#10001")
    assert len(hostup.tickets) == 1


async def test_errors_found_after_the_ack_show_the_form_again_as_typed(
    postgres_url: str, make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    slack.groups["S0OPS"] = {"UANA"}
    env = {"TICKETBOT_DB": postgres_url}
    options = 'admins = []\nallowed_groups = ["S0OPS"]'
    opener = await make_bot(hostup_table(hostup, timeout=3), env=env, options=options)
    view_id = await open_form(opener)
    fresh = await make_bot(hostup_table(hostup, timeout=3), env=env, options=options)
    slack.fail(delay=0.9, path_contains="usergroups")
    hostup.fail(delay=1.8, path_contains="/departments")
    answer = await fresh.driver.submit(view_id, {**FILLED, "subject": ""})
    assert "Checking your ticket" in answer.text
    await slack.wait_for_text(view_id, ":x:")
    shown = modal_text(slack.view(view_id))
    assert "Ping fails." in shown and ":x:" in shown  # what was typed, and why not
    assert not hostup.tickets
