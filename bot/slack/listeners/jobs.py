"""Work after the ack: each listener acks, hands the rest to ``after_ack`` and returns, so bolt
(which runs it with ``process_before_response``) answers Slack the moment it does.

The work runs as a job (``bot.background.jobs``) when the lane (``bot.lane``) lets it: a modal's
job at once, work nobody watches (``deferred``) in its turn. Its failure reaches the user
through the one error handler (``report_error``).
NOTE: we never let a listener raise after acking: bolt's async runner (1.30) then replaces the
ack it has not yet sent with an error answer.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.context import SlackContext
from bot.slack.listeners.errors import report_error


def after_ack(
    deps: SlackContext,
    client: AsyncWebClient,
    body: dict[str, Any],
    context: dict[str, Any],
    work: Coroutine[Any, Any, None],
    *,
    deferred: bool = False,
) -> None:
    """Run a listener's post-ack ``work`` as a background job, in its turn (see ``bot.lane``);
    its failure reaches the user. ``deferred``: nobody watches it in real time (unlike a modal
    that must open within the trigger's 3 s), so it gives way to Slack requests."""
    if deferred:
        # NOTE: it may wait its turn through a burst, alive all the while: it keeps only what an
        # error report reads (the collector walks whatever thousands of waiting jobs hold).
        body, context, client = (
            _for_error_report(body),
            {"view_id": context.get("view_id")},
            deps.slack,
        )

    async def failed(exc: Exception) -> None:
        await report_error(deps, client, exc, body, context)

    if deferred:  # NOTE: not even a task until its turn; if it never gets one, the store has it
        deps.jobs.defer(work, failed=failed)
    else:  # NOTE: a job not deferred opens or updates a modal: it goes first, at once
        deps.jobs.spawn(work, first=True, failed=failed)


def told_to(user_id: object, team_id: object) -> dict[str, Any]:
    """What ``report_error`` needs of an event that names its user in the event, not in the
    payload (a reaction, the App Home, a workflow step): whom to tell."""
    return {"user_id": str(user_id or ""), "team_id": str(team_id or "")}


# What ``report_error`` reads of a payload, and of its view.
REPORTED_KEYS = (
    "type",
    "command",
    "user",
    "user_id",
    "user_name",
    "team",
    "team_id",
    "response_url",
)
REPORTED_VIEW_KEYS = ("id", "callback_id", "private_metadata", "state")


def _for_error_report(body: dict[str, Any]) -> dict[str, Any]:
    kept = {key: body[key] for key in REPORTED_KEYS if key in body}
    if isinstance(view := body.get("view"), dict):
        kept["view"] = {key: view[key] for key in REPORTED_VIEW_KEYS if key in view}
    return kept
