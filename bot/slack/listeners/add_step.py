"""The Workflow Builder step *Add to a ticket* (manifest ``functions.add_to_ticket``): a
workflow's text goes to a ticket the bot filed as a comment, with the guarantees of the
shortcut: kept before the call, sent again when time can fix it, once per step run however
often Slack delivers it (the run's ``function_execution_id`` keys the comment).

The step completes with the ticket's link and how the comment went (``added``, ``queued``,
``unsure``), or fails with a plain reason: no such ticket that ``added_by`` may see (the same
words whether it exists or not), a provider that takes no comments, a refusal.

As with *File a ticket*, who adds is a ``slack#/types/user_context`` input (a workflow's builder
cannot set it to someone else), and a run is answered once across replicas, whatever the first
delivery's outcome (``FilingService.first_run``).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.alerts.text import plain
from bot.domain.additions import AddState
from bot.slack.context import SlackContext
from bot.slack.listeners.jobs import after_ack, told_to
from bot.slack.listeners.workflow import user_context_id
from bot.slack.views.ids import FunctionId
from bot.slack.workflow_step import complete, fails_plainly, step_failed
from bot.tickets.additions import typed_number

# NOTE: the manifest's functions.add_to_ticket declares these (tests/test_add_to_ticket.py)
ADD_INPUTS = ("provider", "ticket_number", "text", "added_by")
ADD_OUTPUTS = ("ticket_url", "state")
TEXT_LIMIT = 10_000


def register(app: AsyncApp, deps: SlackContext) -> None:
    @app.function(FunctionId.ADD_TO_TICKET)
    async def handle_add_to_ticket_function(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]
    ) -> None:
        await ack()
        inputs = event.get("inputs") or {}
        reporter = told_to(user_context_id(inputs.get("added_by")), body.get("team_id"))
        work = add_from_step(deps, str(body.get("team_id") or ""), event)
        after_ack(deps, deps.slack, reporter, context, work, deferred=True)


async def add_from_step(deps: SlackContext, team_id: str, event: dict[str, Any]) -> None:
    """Add the step's text; the step fails with a reason rather than hang on a surprise."""
    step = str(event.get("function_execution_id") or "")
    async with fails_plainly(deps.slack, step):
        await _add_from_step(deps, team_id, step, event.get("inputs") or {})


async def _add_from_step(
    deps: SlackContext, team_id: str, step: str, inputs: dict[str, Any]
) -> None:
    if not step or not await deps.filing.first_run(step):
        return  # NOTE: Slack delivered this run again: the first delivery answers it

    def text(key: str) -> str:
        value = inputs.get(key)
        return plain(str(value)).strip() if value is not None else ""

    by_lower = {name.lower(): name for name in deps.providers}
    provider = by_lower.get(text("provider").lower())
    number = typed_number(text("ticket_number"))
    added_by, body = user_context_id(inputs.get("added_by")) or "", text("text")[:TEXT_LIMIT]
    problem = None
    if provider is None:
        problem = f"There is no provider called {text('provider')!r}; use one of: " + ", ".join(
            deps.providers
        )
    elif number is None:
        problem = "ticket_number must be a ticket number (letters, digits, - and _)."
    elif shape := deps.providers[provider].ticket_id_problem(number):
        problem = shape
    elif not added_by:
        problem = (
            "added_by must be the person who runs the workflow (a user_context input, such "
            "as the workflow's “Person who used this workflow”), not a user id."
        )
    elif not body:
        problem = "text is empty: there is nothing to add."
    if problem:
        await step_failed(deps.slack, step, problem)
        return
    ticket = await deps.additions.find(
        team_id,
        ticket_id=None,
        provider=provider,
        number=number,
        may_read=deps.access.reader(added_by),
    )
    if ticket is None:
        title = deps.provider_titles[str(provider)]
        await step_failed(
            deps.slack, step, f"No {title} ticket #{number} that the person in added_by can see."
        )
        return
    if not deps.additions.takes_comments(ticket):
        title = deps.additions.title(ticket)
        await step_failed(deps.slack, step, f"{title} takes no comments through its API.")
        return
    adder = await deps.users.filer(team_id, added_by, added_by)
    result = await deps.additions.add_text(ticket, f"add-step|{step}", body, adder)
    if result.state is AddState.ALREADY:
        return  # NOTE: Slack delivered this run again; the first delivery completes it
    if result.state is AddState.REFUSED:
        await step_failed(
            deps.slack, step, f"{result.title} refused the comment: {result.reason or 'no reason'}"
        )
        return
    outputs = {"state": result.state.value}
    if ticket.url:
        outputs["ticket_url"] = ticket.url
    await complete(deps.slack, step, outputs)
