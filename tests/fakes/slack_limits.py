"""Slack's documented limits for views and messages, checked independently of slack_sdk.models.

Real Slack answers ``invalid_arguments`` (or a named error) when one is broken; so does the fake.
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

INPUT_ELEMENTS = {
    "plain_text_input",
    "static_select",
    "number_input",
    "email_text_input",
    "checkboxes",
    "external_select",
    "users_select",
    "conversations_select",
    "multi_static_select",
    "radio_buttons",
    "datepicker",
    "url_text_input",
}


class LimitError(Exception):
    """A broken Slack limit; ``str(exc)`` says which."""


def _text(obj: Any, where: str, limit: int, *, min_len: int = 1) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        raise LimitError(f"{where}: must be a text object")
    text = obj.get("text")
    if not isinstance(text, str) or not (min_len <= len(text) <= limit):
        raise LimitError(f"{where}: text must be {min_len}-{limit} characters")


def _options(options: Any, where: str) -> None:
    if not isinstance(options, list) or not 1 <= len(options) <= 100:
        raise LimitError(f"{where}: 1-100 options")
    for i, option in enumerate(options):
        _text(option.get("text"), f"{where}[{i}].text", 75)
        value = option.get("value")
        if not isinstance(value, str) or not 1 <= len(value) <= 150:
            raise LimitError(f"{where}[{i}].value: 1-150 characters")


def _element(element: dict[str, Any], where: str) -> None:
    action_id = element.get("action_id")
    if action_id is not None and (not isinstance(action_id, str) or len(action_id) > 255):
        raise LimitError(f"{where}.action_id: at most 255 characters")
    if "placeholder" in element:
        _text(element["placeholder"], f"{where}.placeholder", 150)
    etype = element.get("type")
    if etype == "static_select":
        _options(element.get("options"), f"{where}.options")
        initial = element.get("initial_option")
        if initial is not None and initial not in element["options"]:
            raise LimitError(f"{where}.initial_option: must be one of the options")
    if etype == "plain_text_input":
        max_len = element.get("max_length", 3000)
        if not 1 <= max_len <= 3000 or element.get("min_length", 0) > max_len:
            raise LimitError(f"{where}: min_length/max_length out of range")
        if len(element.get("initial_value") or "") > max_len:
            raise LimitError(f"{where}.initial_value: longer than max_length")
    if etype == "button":
        _text(element.get("text"), f"{where}.text", 75)
        if len(element.get("value") or "") > 2000:
            raise LimitError(f"{where}.value: at most 2000 characters")
        url = element.get("url")
        if url is not None and (
            not isinstance(url, str)
            or len(url) > 3000
            or not url.startswith(("http://", "https://"))
        ):
            raise LimitError(f"{where}.url: an http(s) URL of at most 3000 characters")


def _walk_blocks(blocks: Any, limit: int, where: str) -> Iterator[dict[str, Any]]:
    if not isinstance(blocks, list) or len(blocks) > limit:
        raise LimitError(f"{where}: at most {limit} blocks")
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        block_id = block.get("block_id")
        if block_id is not None:
            if len(block_id) > 255:
                raise LimitError(f"{where}[{i}].block_id: at most 255 characters")
            if block_id in seen:
                raise LimitError(f"{where}[{i}].block_id: duplicate {block_id!r}")
            seen.add(block_id)
        yield block


def check_blocks(blocks: Any, *, limit: int, where: str = "blocks") -> None:
    for i, block in enumerate(_walk_blocks(blocks, limit, where)):
        here, btype = f"{where}[{i}]", block.get("type")
        if btype == "section":
            if "text" in block:
                _text(block["text"], f"{here}.text", 3000)
            for j, fld in enumerate(block.get("fields") or []):
                _text(fld, f"{here}.fields[{j}]", 2000)
            if len(block.get("fields") or []) > 10:
                raise LimitError(f"{here}.fields: at most 10")
            if "accessory" in block:
                _element(block["accessory"], f"{here}.accessory")
        elif btype == "header":
            _text(block.get("text"), f"{here}.text", 150)
        elif btype == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                raise LimitError(f"{here}.elements: 1-10")
            for j, el in enumerate(elements):
                if el.get("type") in ("plain_text", "mrkdwn"):
                    _text(el, f"{here}.elements[{j}]", 3000)
        elif btype == "input":
            _text(block.get("label"), f"{here}.label", 2000)
            if "hint" in block:
                _text(block["hint"], f"{here}.hint", 2000)
            element = block.get("element") or {}
            if element.get("type") not in INPUT_ELEMENTS:
                raise LimitError(f"{here}.element: not an input element")
            _element(element, f"{here}.element")
        elif btype == "actions":
            for j, el in enumerate(block.get("elements") or []):
                _element(el, f"{here}.elements[{j}]")
        elif btype not in ("divider", "rich_text", "image"):
            raise LimitError(f"{here}: unknown block type {btype!r}")


def check_view(view: Any) -> None:
    """The modal rules: title/submit/close, 100 blocks, metadata, ids, size, submit with inputs."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        raise LimitError("view.type must be modal")
    _text(view.get("title"), "view.title", 24)
    for key in ("submit", "close"):
        if key in view:
            _text(view[key], f"view.{key}", 24)
    if len(view.get("private_metadata") or "") > 3000:
        raise LimitError("view.private_metadata: at most 3000 characters")
    if len(view.get("callback_id") or "") > 255:
        raise LimitError("view.callback_id: at most 255 characters")
    blocks = view.get("blocks") or []
    check_blocks(blocks, limit=100, where="view.blocks")
    if any(b.get("type") == "input" for b in blocks) and "submit" not in view:
        raise LimitError("view.submit: required when the view has input blocks")
    if len(json.dumps(view)) > 250_000:
        raise LimitError("view_too_large")


def check_home(view: Any) -> None:
    """The home tab's rules: type home, 100 blocks, no inputs, size."""
    if not isinstance(view, dict) or view.get("type") != "home":
        raise LimitError("view.type must be home")
    blocks = view.get("blocks") or []
    check_blocks(blocks, limit=100, where="view.blocks")
    if any(b.get("type") == "input" for b in blocks):
        raise LimitError("view.blocks: a home tab takes no input blocks")
    if len(json.dumps(view)) > 250_000:
        raise LimitError("view_too_large")


def check_message(text: Any, blocks: Any) -> None:
    if blocks is None and not text:
        raise LimitError("no_text")
    if text is not None and len(str(text)) > 40_000:
        raise LimitError("msg_too_long")
    if blocks is not None:
        check_blocks(blocks, limit=50)


# Rate limits per method (https://api.slack.com/apis/rate-limits; /work/shared/slack/README.md):
# calls allowed in any 60 s, and whether the count is per channel (chat.postMessage: "1 per
# second per channel", bursts allowed) or per workspace (Tier 3: "50+ per minute").
RATE_LIMITS: dict[str, tuple[int, bool]] = {
    "chat.update": (50, False),
    "chat.postMessage": (60, True),
    "users.lookupByEmail": (50, False),
}


class RateWindow:
    """Calls per method (and channel) in the last 60 s; ``allow`` answers whether one more
    keeps within Slack's limit, and if not, the whole seconds to wait (``Retry-After``)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._calls: dict[tuple[str, str], deque[float]] = {}

    def allow(self, method: str, channel: str) -> int | None:
        limit = RATE_LIMITS.get(method)
        if limit is None:
            return None
        count, per_channel = limit
        now = self._clock()
        calls = self._calls.setdefault((method, channel if per_channel else ""), deque())
        while calls and calls[0] <= now - 60:
            calls.popleft()
        if len(calls) >= count:
            return max(1, math.ceil(calls[0] + 60 - now))
        calls.append(now)
        return None
