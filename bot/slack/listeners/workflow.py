"""The Workflow Builder step *File a ticket* (manifest ``functions.file_ticket``): files through
the one filing service; the step completes when the ticket is recorded (``workflow_step``), or
with a plain reason when a person must fix something.

NOTE: Slack may deliver one execution more than once (a retry with the same ``event_id``, or a
new delivery); its ``function_execution_id`` runs the step once across every replica, whatever
the first run's outcome (``FilingService.first_run``), and keys the submission, so it files once.

Who files is the step's ``filed_by``, a ``slack#/types/user_context`` input: Slack fills it
with the person who started the workflow (or pressed its button) and a secret, and a
workflow's builder cannot set it to someone else, unlike a ``user_id`` input.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.alerts.text import plain
from bot.domain.forms import CommonField
from bot.settings import CHANNEL_ID, USER_ID
from bot.slack.context import SlackContext
from bot.slack.listeners.jobs import after_ack, told_to
from bot.slack.views.ids import FunctionId
from bot.slack.workflow_step import fails_plainly, step_failed
from bot.tickets.auto_filing import NotFiled, StepRun


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.function(FunctionId.FILE_TICKET)
    async def handle_file_ticket_function(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]
    ) -> None:
        await ack()
        inputs = event.get("inputs") or {}
        reporter = told_to(user_context_id(inputs.get("filed_by")), body.get("team_id"))
        work = file_from_step(deps, str(body.get("team_id") or ""), event)
        after_ack(deps, deps.slack, reporter, context, work, deferred=True)


def read_step(step: str, team_id: str, inputs: dict[str, Any], providers: list[str]) -> StepRun:
    """The step's run, its inputs read and checked; ``problem`` says what is wrong, plainly."""

    def text(key: str) -> str:
        value = inputs.get(key)
        return plain(str(value)).strip() if value is not None else ""

    provider, channel_id = text("provider").lower(), text("channel_id")
    filed_by = user_context_id(inputs.get("filed_by")) or ""
    problem = None
    if provider not in providers:
        problem = f"There is no provider called {provider!r}; use one of: {', '.join(providers)}."
    elif not CHANNEL_ID.match(channel_id):
        problem = "channel_id must be a channel (C… or G…)."
    elif not filed_by:
        problem = (
            "filed_by must be the person who runs the workflow (a user_context input, such "
            "as the workflow's “Person who used this workflow”), not a user id."
        )
    return StepRun(
        step=step,
        team_id=team_id,
        provider=provider,
        channel_id=channel_id,
        filed_by=filed_by,
        values={
            key: value
            for key in (CommonField.SUBJECT, CommonField.DESCRIPTION, CommonField.PRIORITY)
            if (value := text(key))
        },
        problem=problem,
    )


def user_context_id(value: object) -> str | None:
    """The user of a ``slack#/types/user_context`` value (``{"id": "U…", "secret": "…"}``);
    None for anything else, such as a bare user id a workflow's builder could have typed."""
    if not isinstance(value, dict):
        return None
    user, secret = value.get("id"), value.get("secret")
    if not isinstance(user, str) or not USER_ID.match(user) or not isinstance(secret, str):
        return None
    return user if secret else None


async def file_from_step(deps: SlackContext, team_id: str, event: dict[str, Any]) -> None:
    """File the step's ticket; the step fails with a reason rather than hang on a surprise,
    which the error handler then logs and tells the filer, under the same reference."""
    step = str(event.get("function_execution_id") or "")
    async with fails_plainly(deps.slack, step):
        await _file_from_step(deps, team_id, step, event)


async def _file_from_step(
    deps: SlackContext, team_id: str, step: str, event: dict[str, Any]
) -> None:
    run = read_step(step, team_id, event.get("inputs") or {}, list(deps.providers))
    # NOTE: None: Slack delivered this run again, and the first delivery answers it
    if isinstance(filed := await deps.auto_filing.file_step(run), NotFiled):
        await step_failed(deps.slack, step, filed.reason)
