"""The Workflow Builder step *File a ticket*: files through the one service, completes with
the ticket's number, link and thread once it is recorded, once however often Slack delivers
the run, and completes with a plain reason when a person must fix something."""

from __future__ import annotations

from typing import Any

from tests.conftest import BotFactory, RunningBot, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.provider_cases import BY_KIND, provider_table
from tests.slack_driver import EventsDriver

ROUTE = (
    '[[routes]]\nchannels = ["C0GENERAL"]\nprovider = "hostup"\ndefaults = { department = "vps" }\n'
)


def inputs(**over: Any) -> dict[str, Any]:
    return {
        "provider": "hostup",
        "subject": "Disk full on db-1",
        "description": "From the disk-space workflow",
        "priority": "high",
        "channel_id": "C0GENERAL",
        "filed_by": {"id": "UANA", "secret": "c2VjcmV0LXVzZXItY29udGV4dA=="},  # user_context
        **over,
    }


def creates(hostup: FakeHostUp) -> list[dict[str, Any]]:
    return [r.body for r in hostup.requests if r.method == "POST" and r.path.endswith("/tickets")]


async def test_the_step_files_and_completes_with_the_ticket(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup), routes=ROUTE)
    events = EventsDriver(bot.driver)
    execution = slack.start_execution()
    response = await events.step(execution, inputs(), event_id="EvStep1")
    assert response.status_code == 200
    done = (await slack.wait_for("functions.completeSuccess"))[0]
    outputs = done["outputs"]
    card = slack.channels["C0GENERAL"].messages[0]
    assert outputs["ticket_number"] == "10001"
    assert outputs["ticket_url"].startswith("https://cloud.hostup.se/support/tickets/")
    assert outputs["thread_ts"] == card["ts"]
    assert "filed by <@UANA>" in card["text"]
    sent = creates(hostup)[0]
    assert sent["departmentSlug"] == "vps" and sent["priority"] == "high"
    assert slack.executions[execution] == "completed"

    await events.step(execution, inputs(), event_id="EvStep1", retry=1)  # Slack's retry
    await events.step(execution, inputs(), event_id="EvStep2")  # delivered again
    await bot.idle()
    assert len(creates(hostup)) == 1
    assert len(slack.calls_to("functions.completeSuccess")) == 1
    assert not slack.rejected


async def test_what_a_person_must_fix_completes_with_a_plain_reason(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    events = EventsDriver(hostup_bot.driver)
    cases = {
        "Department": inputs(),  # HostUp needs a department: no route gives one here
        "no provider called 'nope'": inputs(provider="nope"),
        "channel_id must be a channel": inputs(channel_id="not-a-channel"),
        # NOTE: a bare user id is what a workflow's builder can set to anyone
        "a user_context input": inputs(filed_by="UBOB"),
        "a user_context input ": inputs(filed_by={"id": "UBOB"}),
        "Pick one of the options": inputs(priority="whenever"),
    }
    for expected, given in cases.items():
        execution = slack.start_execution()
        await events.step(execution, given)
        failed = await slack.wait_for("functions.completeError", function_execution_id=execution)
        assert expected.strip() in failed[0]["error"], failed[0]["error"]
        assert slack.executions[execution] == "failed"
    assert creates(hostup) == []


async def test_a_provider_failing_for_a_while_completes_when_the_retry_files(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    bot = await make_bot(hostup_table(hostup), routes=ROUTE)
    hostup.fail(status=503, times=2, path_contains="/support/tickets")
    execution = slack.start_execution()
    await EventsDriver(bot.driver).step(execution, inputs())
    done = await slack.wait_for("functions.completeSuccess", within=10)
    assert done[0]["outputs"]["ticket_number"] == "10001"
    submission = await bot.deps.store.submissions.submission(1)
    assert submission is not None and submission.attempts == 3


async def test_the_step_files_the_form_the_modal_would_with_the_providers_defaults(
    make_bot: BotFactory, slack: FakeSlack
) -> None:
    """Issue #27: Pulse CRM in a channel without a route failed with "Category is required"
    though the modal opens with default_category (technical) chosen."""
    case = BY_KIND["pulse"]
    pulse = case.fake()
    await pulse.start()
    try:
        bot = await make_bot(provider_table(case, pulse.url), env=case.env)
        execution = slack.start_execution()
        given = inputs(provider="pulse", priority="high", channel_id="C0RANDOM")
        await EventsDriver(bot.driver).step(execution, given)
        done = await slack.wait_for("functions.completeSuccess", within=10)
        assert done[0]["outputs"]["ticket_number"].startswith("TKT-")
        sent = [r.body for r in pulse.requests if r.method == "POST" and r.path == "/tickets"]
        assert sent[0]["category"] == "technical" and sent[0]["priority"] == "high"
    finally:
        await pulse.stop()


async def test_a_run_delivered_again_after_it_failed_does_not_run_again(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Issue #27: a step that failed before anything was saved ran again on Slack's retry
    (a second completeError, refused with execution_not_in_running_state)."""
    events = EventsDriver(hostup_bot.driver)
    execution = slack.start_execution()
    await events.step(execution, inputs(), event_id="EvFail")  # no route: no department
    await slack.wait_for("functions.completeError", function_execution_id=execution)
    await events.step(execution, inputs(), event_id="EvFail", retry=1)
    await events.step(execution, inputs(), event_id="EvFail2")
    await hostup_bot.runtime.poller.pass_once()
    assert len(slack.calls_to("functions.completeError")) == 1
    assert not slack.rejected and creates(hostup) == []
