"""The conversation in a message's thread, for a ticket filed from it: who said what and
when, and the files shared there. One ``conversations.replies`` page, bounded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.text import one_line, plain
from bot.domain.conversation import Said

MAX_MESSAGES = 50  # one page: the start of the discussion is what a ticket needs
MAX_SAID = 400  # characters of one message


def has_thread(message: Mapping[str, Any]) -> bool:
    """The message has replies, or is one."""
    ts, root = message.get("ts"), message.get("thread_ts")
    return bool(message.get("reply_count")) or bool(root and root != ts)


async def replies(
    client: AsyncWebClient, channel_id: str, message: Mapping[str, Any], ours: frozenset[str]
) -> list[dict[str, Any]]:
    """The thread's other messages (not ``message``, not ours: ``ours`` holds the bot's
    user and bot ids), oldest first; none if Slack will not say."""
    if not channel_id or not has_thread(message):
        return []
    root = str(message.get("thread_ts") or message.get("ts"))
    try:
        # NOTE: conversations.replies returns the parent first, then the replies, oldest first
        response = await client.conversations_replies(
            channel=channel_id, ts=root, limit=MAX_MESSAGES + 1
        )
    except SlackApiError:
        return []
    found = response.get("messages") or []
    said = [
        m
        for m in found[: MAX_MESSAGES + 1]
        if isinstance(m, dict)
        and m.get("ts") != message.get("ts")
        and m.get("bot_id") not in ours
        and m.get("user") not in ours
    ]
    return sorted(said, key=lambda m: str(m.get("ts") or ""))


def ours(context: Mapping[str, Any], body: Mapping[str, Any]) -> frozenset[str]:
    """The bot's own ids, from bolt's context or the event's authorizations."""
    found = {context.get("bot_id"), context.get("bot_user_id")}
    for grant in body.get("authorizations") or []:
        if isinstance(grant, dict) and grant.get("is_bot"):
            found.add(grant.get("user_id"))
    return frozenset(str(i) for i in found if i)


def authors(messages: list[dict[str, Any]]) -> set[str]:
    return {str(m["user"]) for m in messages if m.get("user")}


def conversation(messages: list[dict[str, Any]], names: Mapping[str, str]) -> tuple[Said, ...]:
    """Who said what and when, in plain words."""
    said: list[Said] = []
    for m in messages:
        user = str(m.get("user") or "")
        who = (
            f"@{names.get(user, user)}"
            if user
            else str(m.get("username") or (m.get("bot_profile") or {}).get("name") or "a bot")
        )
        text = one_line(plain(str(m.get("text") or ""), names))[:MAX_SAID]
        try:
            at = float(m.get("ts") or 0)
        except (TypeError, ValueError):
            continue
        if text:
            said.append(Said(who=who, at=at, text=text))
    return tuple(said)
