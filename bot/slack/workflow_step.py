"""Completing a Workflow Builder step that filed a ticket: ``functions.completeSuccess`` once
the ticket is recorded, ``functions.completeError`` with a plain reason when a person must act.

NOTE: completed with the bot token, not the step's short-lived ``bot_access_token``: a ticket
the retry worker files after a restart must still complete its step (api.slack.com/methods/
functions.completeSuccess takes bot tokens).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.records import TicketRecord
from bot.domain.text import truncate
from bot.logs import new_request_id, request_id

log = logging.getLogger(__name__)
ERROR_LIMIT = 500
# NOTE: the manifest's functions.file_ticket declares these (tests/test_manifest.py checks)
INPUTS = ("provider", "subject", "description", "priority", "channel_id", "filed_by")
OUTPUTS = ("ticket_number", "ticket_url", "thread_ts")


async def step_succeeded(
    slack: AsyncWebClient, step: str | None, record: TicketRecord, thread_ts: str | None
) -> None:
    """Complete the step run ``step`` (a function_execution_id; None: no step filed this)
    with ``ticket_number``, and ``ticket_url`` and ``thread_ts`` where known."""
    if not step:
        return
    outputs: dict[str, Any] = {"ticket_number": record.number}
    if record.url:
        outputs["ticket_url"] = record.url
    if thread_ts:
        outputs["thread_ts"] = thread_ts
    await _complete(slack, step, outputs=outputs)


async def complete(slack: AsyncWebClient, step: str, outputs: dict[str, Any]) -> None:
    """Complete the step run ``step`` with ``outputs`` (another step than *File a ticket*)."""
    await _complete(slack, step, outputs=outputs)


async def step_failed(slack: AsyncWebClient, step: str | None, reason: str) -> None:
    """Complete the step run ``step`` (if any) with ``reason``, for the workflow's owner."""
    if step:
        await _complete(slack, step, error=truncate(reason, ERROR_LIMIT))


async def _complete(
    slack: AsyncWebClient,
    execution_id: str,
    *,
    outputs: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    try:
        if error is None:
            await slack.functions_completeSuccess(
                function_execution_id=execution_id, outputs=outputs or {}
            )
        else:
            await slack.functions_completeError(function_execution_id=execution_id, error=error)
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        # NOTE: an execution Slack timed out (or completed) answers execution_not_in_running_state
        code = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("workflow step not completed", extra={"error": code})


@asynccontextmanager
async def fails_plainly(slack: AsyncWebClient, step: str) -> AsyncIterator[None]:
    """A step whose work hits an unexpected error fails with a reason instead of hanging; the
    error goes on to the error handler, which logs it and tells the person under the same
    reference."""
    try:
        yield
    except Exception:
        ref = request_id.get() or new_request_id()
        reason = f"ticketbot hit an unexpected error (ref {ref}); its admins find it in the log."
        await step_failed(slack, step, reason)
        raise
