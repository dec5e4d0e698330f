"""The shapes of the signed payloads the bot reads, checked once at the door (before bolt, whose
own middleware would trip over them too), so no listener meets a ``view`` that is a string or
an ``event`` that is a list.

A payload that does not fit (a kind the bot does not handle, or a field of another type than
Slack sends) gets a 400, or a 200 for an event (Slack would only re-deliver it), with one log
line naming the kind and the first place that does not fit: never the body, never a traceback,
and nothing posted. Models allow extra fields: Slack adds fields over time.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

log = logging.getLogger(__name__)


# NOTE: an object field may be absent, never null: bolt itself reads ``body["view"].get`` once
# the key is there
ABSENT: Any = None


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Id(_Shape):
    id: str


class _Option(_Shape):
    value: str


class _Input(_Shape):
    """One input's state in a view (whichever of these its element has)."""

    type: str | None = None
    value: str | None = None
    selected_option: _Option | None = None
    selected_options: list[_Option] | None = None
    selected_user: str | None = None
    selected_users: list[str] | None = None
    selected_conversation: str | None = None
    selected_channel: str | None = None
    selected_date: str | None = None
    files: list[dict[str, Any]] | None = None


class _State(_Shape):
    values: dict[str, dict[str, _Input]] = Field(default_factory=dict)


class _View(_Shape):
    id: str
    type: str
    callback_id: str | None = None
    private_metadata: str | None = None
    state: _State = ABSENT
    blocks: list[dict[str, Any]] | None = None


class _Message(_Shape):
    ts: str
    text: str | None = None
    user: str | None = None
    bot_id: str | None = None
    thread_ts: str | None = None
    attachments: list[dict[str, Any]] | None = None
    files: list[dict[str, Any]] | None = None
    blocks: list[dict[str, Any]] | None = None


class _Action(_Shape):
    action_id: str
    block_id: str | None = None
    value: str | None = None
    selected_option: _Option | None = None


class _Interactive(_Shape):
    """What every interactive payload carries that the bot reads."""

    user: _Id
    team: _Id = ABSENT
    enterprise: _Id = ABSENT
    response_url: str | None = None
    trigger_id: str | None = None


class ViewSubmission(_Interactive):
    type: Literal["view_submission", "view_closed"]
    view: _View


class BlockActions(_Interactive):
    type: Literal["block_actions"]
    actions: Annotated[list[_Action], Field(min_length=1)]
    view: _View = ABSENT
    channel: _Id = ABSENT
    message: _Message = ABSENT
    container: dict[str, Any] = ABSENT


class MessageAction(_Interactive):
    type: Literal["message_action"]
    callback_id: str
    channel: _Id
    message: _Message
    trigger_id: str


class GlobalShortcut(_Interactive):
    type: Literal["shortcut"]
    callback_id: str
    trigger_id: str


class _Item(_Shape):
    type: str | None = None
    channel: str
    ts: str


class _Function(_Shape):
    callback_id: str | None = None


class _Event(_Shape):
    """NOTE: a message's content (text, attachments, blocks) is left to the alert reader,
    which reads any shape or leaves the message alone (``bot.alerts``); what routes an event
    (who, where, which message) is checked here."""

    type: str
    subtype: str | None = None
    user: str | None = None
    bot_id: str | None = None
    channel: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    files: list[dict[str, Any]] | None = None
    message: _Message = ABSENT
    previous_message: _Message = ABSENT
    channel_type: str | None = None
    reaction: str | None = None
    item: _Item = ABSENT
    tab: str | None = None
    function_execution_id: str | None = None
    function: _Function = ABSENT  # NOTE: bolt reads event.function.callback_id
    inputs: dict[str, Any] | None = None


class EventCallback(_Shape):
    type: Literal["event_callback"]
    event: _Event
    event_id: str | None = None
    team_id: str | None = None


class UrlVerification(_Shape):
    type: Literal["url_verification"]
    challenge: str


class Command(_Shape):
    command: str
    user_id: str
    team_id: str
    text: str = ""
    channel_id: str | None = None
    trigger_id: str | None = None
    response_url: str | None = None


Payload = Annotated[
    ViewSubmission
    | BlockActions
    | MessageAction
    | GlobalShortcut
    | EventCallback
    | UrlVerification,
    Field(discriminator="type"),
]
_PAYLOAD: TypeAdapter[Any] = TypeAdapter(Payload)
_COMMAND: TypeAdapter[Command] = TypeAdapter(Command)


def shape_problem(body: Any) -> str | None:
    """Where ``body`` does not fit what the bot reads ("view.id: string_type"); None if it
    fits. Names places and error kinds only, never a value."""
    try:
        if isinstance(body, dict) and "command" in body and "type" not in body:
            _COMMAND.validate_python(body)
        else:
            _PAYLOAD.validate_python(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False, include_context=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "the payload"
        return f"{where}: {first['type']}"
    return None


def refusal(body: Any) -> int | None:
    """The HTTP status to answer a payload the bot does not understand with (200 for an
    event, 400 otherwise), the one log line written; None if the payload fits."""
    problem = shape_problem(body)
    if problem is None:
        return None
    kind = body.get("type") if isinstance(body, dict) else None
    log.warning(
        "signed payload the bot does not understand",
        extra={"kind": kind[:40] if isinstance(kind, str) else "unknown", "problem": problem[:200]},
    )
    return 200 if kind == "event_callback" else 400


def is_event_envelope(raw: bytes) -> bool:
    """Whether ``raw`` is JSON of an Events API delivery (answered 200 even when the bot cannot
    read it: Slack would only deliver it again)."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return isinstance(body, dict) and body.get("type") == "event_callback"


def unhandled_status(body: Any) -> int:
    """What a payload no listener handles is answered with (bolt says 404): 200 for an event,
    400 otherwise."""
    kind = body.get("type") if isinstance(body, dict) else None
    return 200 if kind == "event_callback" else 400


class UnhandledAsOneLine(logging.Filter):
    """On bolt's logger: its "Unhandled request (…)" warning, which quotes the payload and a
    code suggestion over several lines, as one line without the body."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Unhandled request"):
            record.msg, record.args = "signed payload no listener handles", ()
        return True


def one_line_unhandled(logger: logging.Logger) -> logging.Logger:
    """``logger`` with ``UnhandledAsOneLine`` (once)."""
    if not any(isinstance(f, UnhandledAsOneLine) for f in logger.filters):
        logger.addFilter(UnhandledAsOneLine())
    return logger
