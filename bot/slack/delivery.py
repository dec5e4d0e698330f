"""Posting where the team will see it, and saying so when the bot cannot.

Order: the channel (or the alert's thread) → join the public channel and try again → an
ephemeral message through the request's ``response_url`` → a DM to the user. Never silent.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.outbound import ResponseUrls
from bot.tickets.outcomes import Posted

log = logging.getLogger(__name__)

# NOTE: chat.postMessage errors that mean "the bot cannot post here" (api.slack.com/methods/
# chat.postMessage#errors); joining helps only with not_in_channel on a public channel.
CANNOT_POST = {
    "not_in_channel",
    "channel_not_found",
    "is_archived",
    "restricted_action",
    "cannot_reply_to_message",
}


async def post_where_seen(
    client: AsyncWebClient,
    responses: ResponseUrls,
    *,
    channel_id: str | None,
    thread_ts: str | None,
    user_id: str,
    response_url: str | None,
    text: str,
    blocks: list[dict[str, Any]],
) -> Posted:
    """Post ``text``/``blocks`` in the channel (thread), falling back to the user privately."""
    reason = "the ticket was not filed from a channel"
    if channel_id:
        try:
            return await _post(client, channel_id, thread_ts, text, blocks)
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            if error not in CANNOT_POST:
                raise
            if error == "not_in_channel" and await _join(client, channel_id):
                return await _post(client, channel_id, thread_ts, text, blocks)
            reason = _why(error, channel_id)
    note = f"I could not post this in the channel: {reason}."
    private_text = f"{text}\n_{note}_"
    private_blocks = [*blocks, {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}]
    if response_url:
        try:
            if await responses.send(
                response_url, text=private_text, blocks=private_blocks, response_type="ephemeral"
            ):
                return Posted(channel_id=channel_id or user_id, ts=None, thread_ts=None, note=note)
        except Exception:  # the response_url may have expired; a DM still reaches the user
            log.warning("response_url post failed", exc_info=True)
    dm = await client.chat_postMessage(
        channel=user_id, text=private_text, blocks=private_blocks, unfurl_links=False
    )
    return Posted(channel_id=str(dm["channel"]), ts=None, thread_ts=None, note=note)


async def _post(
    client: AsyncWebClient,
    channel_id: str,
    thread_ts: str | None,
    text: str,
    blocks: list[dict[str, Any]],
) -> Posted:
    response = await client.chat_postMessage(
        channel=channel_id,
        thread_ts=thread_ts,
        text=text,
        blocks=blocks,
        unfurl_links=False,
        unfurl_media=False,
    )
    ts = str(response["ts"])
    return Posted(channel_id=channel_id, ts=ts, thread_ts=thread_ts or ts)


async def _join(client: AsyncWebClient, channel_id: str) -> bool:
    try:
        await client.conversations_join(channel=channel_id)
    except SlackApiError as exc:
        log.info(
            "cannot join channel", extra={"channel": channel_id, "error": exc.response.get("error")}
        )
        return False
    return True


def _why(error: str, channel_id: str) -> str:
    if error in ("not_in_channel", "channel_not_found"):
        return (
            f"I am not a member of <#{channel_id}> and cannot join it (private channel or "
            "DM). Invite me with `/invite @ticketbot` to get tickets posted there"
        )
    if error == "is_archived":
        return "the channel is archived"
    return f"Slack said {error}"
