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
from bot.deps import Deps
from bot.domain.drafts import ModalContext, step_key
from bot.domain.errors import TicketbotError
from bot.domain.forms import CommonField, FieldValue
from bot.settings import CHANNEL_ID, USER_ID
from bot.slack.listeners.jobs import after_ack, told_to
from bot.slack.views.ids import FunctionId
from bot.slack.workflow_step import fails_plainly, step_failed
from bot.tickets.auto_file import checked_draft


def register(app: AsyncApp, deps: Deps) -> None:
    @app.function(FunctionId.FILE_TICKET)
    async def handle_file_ticket_function(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]
    ) -> None:
        await ack()
        inputs = event.get("inputs") or {}
        reporter = told_to(user_context_id(inputs.get("filed_by")), body.get("team_id"))
        work = file_from_step(deps, str(body.get("team_id") or ""), event)
        after_ack(deps, deps.slack, reporter, context, work, deferred=True)


class StepInputs:
    """The step's inputs, read and checked; ``problem`` says what is wrong, plainly."""

    def __init__(self, inputs: dict[str, Any], providers: list[str]) -> None:
        def text(key: str) -> str:
            value = inputs.get(key)
            return plain(str(value)).strip() if value is not None else ""

        self.provider = text("provider").lower()
        self.channel_id = text("channel_id")
        self.filed_by = user_context_id(inputs.get("filed_by")) or ""
        self.values: dict[str, FieldValue] = {
            key: value
            for key in (CommonField.SUBJECT, CommonField.DESCRIPTION, CommonField.PRIORITY)
            if (value := text(key))
        }
        self.problem = None
        if self.provider not in providers:
            self.problem = (
                f"There is no provider called {self.provider!r}; use one of: "
                f"{', '.join(providers)}."
            )
        elif not CHANNEL_ID.match(self.channel_id):
            self.problem = "channel_id must be a channel (C… or G…)."
        elif not self.filed_by:
            self.problem = (
                "filed_by must be the person who runs the workflow (a user_context input, such "
                "as the workflow's “Person who used this workflow”), not a user id."
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


async def file_from_step(deps: Deps, team_id: str, event: dict[str, Any]) -> None:
    """File the step's ticket; the step fails with a reason rather than hang on a surprise,
    which the error handler then logs and tells the filer, under the same reference."""
    step = str(event.get("function_execution_id") or "")
    async with fails_plainly(deps.slack, step):
        await _file_from_step(deps, team_id, step, event)


async def _file_from_step(deps: Deps, team_id: str, step: str, event: dict[str, Any]) -> None:
    if not step or not await deps.filing.first_run(step):
        return  # NOTE: Slack delivered this run again: the first delivery answers it
    given = StepInputs(event.get("inputs") or {}, list(deps.providers))
    if given.problem:
        await step_failed(deps.slack, step, given.problem)
        return
    filer = await deps.users.filer(team_id, given.filed_by, given.filed_by)
    ctx = ModalContext(provider=given.provider, channel_id=given.channel_id, step=step)
    try:
        await deps.access.require_may_file(filer.user_id, given.channel_id)
        draft = await checked_draft(
            deps.filing.provider(given.provider),
            deps.links,
            filer=filer,
            ctx=ctx,
            values=given.values,
            route=deps.routes.of(given.channel_id),
        )
    except TicketbotError as exc:  # CannotFileAsIs among them: what a person must add
        await step_failed(deps.slack, step, exc.message)
        return
    submission, new = await deps.filing.submit(step_key(step), draft)
    if not new:
        return  # NOTE: Slack delivered this run again; the first delivery files it
    try:
        await deps.filing.file(submission, draft)
    except TicketbotError as exc:  # the submission is failed: the step says why
        await step_failed(deps.slack, step, exc.message)
