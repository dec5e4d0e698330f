"""Which Slack requests are none of the bot's business, decided from the request alone.

The bot is in busy channels (``message.channels``), so every message there reaches it; most
are people talking, which the bot never acts on. Those are answered 200 the moment the
signature holds: no bolt dispatch, no task, no database, no I/O. What may be the bot's
business goes on to bolt as before:

- a reply in a thread (it may be a ticket's thread; ``thread_ts`` differs from ``ts``);
- a bot's message (an alert tool's notification: ``bot_id`` or subtype ``bot_message``),
  and the edit or deletion of one (alert tools edit their message when the alert resolves);
- every event that is not a ``message`` (reactions, App Home, ``link_shared`` for unfurls,
  workflow steps, …), every interaction and command, and any body of a shape this module
  does not know.

Pure functions: bytes or a dict in, a bool out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# NOTE: Slack's edit and deletion subtypes carry the message in ``message`` /
# ``previous_message`` (https://api.slack.com/events/message/message_changed).
_EDITS = ("message_changed", "message_deleted")


def _from_a_bot(message: Any) -> bool:
    return isinstance(message, dict) and bool(
        message.get("bot_id") or message.get("subtype") == "bot_message"
    )


def none_of_our_business(body: Mapping[str, Any]) -> bool:
    """True for a channel ``message`` event the bot would not act on: a top-level message
    from a person (chatter), a join or a topic change, an edit or deletion of a person's
    message. False for anything else, including every shape it does not recognise."""
    if body.get("type") != "event_callback":
        return False
    event = body.get("event")
    if not isinstance(event, dict) or event.get("type") != "message":
        return False
    if _from_a_bot(event):
        return False  # an alert notification (or the bot's own post: bolt's listener decides)
    subtype = event.get("subtype")
    if subtype in _EDITS:
        return not (_from_a_bot(event.get("message")) or _from_a_bot(event.get("previous_message")))
    thread_ts = event.get("thread_ts")
    return not (thread_ts and thread_ts != event.get("ts"))


def skippable(raw: bytes) -> bool:
    """``none_of_our_business`` of a verified request body as it arrived. Events come as a
    JSON object; forms (commands, interactions) and bodies that do not parse are bolt's."""
    if not raw.startswith(b"{"):
        return False
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return False  # NOTE: the handler answers these 400 with its own log line
    return isinstance(body, dict) and none_of_our_business(body)
