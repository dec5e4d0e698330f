"""A Slack message, whatever its shape, as a small typed tree the readers can trust.

Alert tools send ``text``, legacy ``attachments`` (with fields, buttons, even blocks inside),
Block Kit ``blocks`` or ``rich_text``; people paste text. Everything from outside may have any
type at any depth: this module is the only place that looks, and it never raises. It keeps at
most what Slack itself allows (50 blocks, 100 attachments, 40,000 characters of text) and at
most ``MAX_TOTAL`` characters over the whole message, so reading is bounded in time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeGuard

from bot.alerts.text import MAX_TEXT

MAX_BLOCKS = 50  # NOTE: Slack's limit per message (api.slack.com/reference/block-kit/blocks)
MAX_ATTACHMENTS = 100  # NOTE: Slack's limit per message (chat.postMessage, attachments)
MAX_ITEMS = 100  # fields, elements, buttons per container (Slack allows 10 to 25)
# characters kept from one message, all strings together: a ticket's description keeps 3,000,
# so this is room for every fact a tool puts in a message, and bounds every scan of it
MAX_TOTAL = 60_000
MAX_DEPTH = 4  # rich text nests sections in lists in quotes


@dataclass(frozen=True)
class Button:
    label: str
    url: str


@dataclass(frozen=True)
class Line:
    """One piece of Block Kit text, raw mrkdwn: a header, a section's text, one of its fields,
    a context element."""

    kind: str  # "header" | "section" | "field" | "context"
    text: str


@dataclass(frozen=True)
class Blocks:
    lines: tuple[Line, ...] = ()
    rich: str = ""  # the rich_text blocks as text
    rich_link: str = ""  # the first link's text in them (PagerDuty's incident title)
    buttons: tuple[Button, ...] = ()

    @property
    def headers(self) -> list[str]:
        return [line.text for line in self.lines if line.kind == "header"]


@dataclass(frozen=True)
class Attachment:
    fallback: str = ""
    color: str = ""
    pretext: str = ""
    author: str = ""
    title: str = ""
    title_link: str = ""
    text: str = ""
    footer: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()
    blocks: Blocks = field(default_factory=Blocks)


@dataclass(frozen=True)
class Message:
    """What a message says and who posted it, every string raw mrkdwn."""

    bot_id: str = ""
    app_id: str = ""
    user: str = ""
    username: str = ""  # an incoming webhook's display name
    bot_name: str = ""  # bot_profile.name: the app's name
    text: str = ""
    blocks: Blocks = field(default_factory=Blocks)
    attachments: tuple[Attachment, ...] = ()

    @property
    def sender(self) -> str | None:
        """The bot that posted it (its app if no bot id), None for a person."""
        return self.bot_id or self.app_id or None

    @property
    def sender_names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.username, self.bot_name) if n)

    def strings(self) -> Iterator[str]:
        """Every piece of text, in reading order."""
        yield self.text
        yield from _block_strings(self.blocks)
        for a in self.attachments:
            yield from (a.fallback, a.pretext, a.author, a.title, a.title_link, a.text)
            for title, value in a.fields:
                yield from (title, value)
            yield from _block_strings(a.blocks)
            yield from (b.url for b in a.buttons)
            yield a.footer

    @cached_property
    def all_text(self) -> str:
        """Every piece of text, one per line (computed once: every reader scans it)."""
        return "\n".join(s for s in self.strings() if s)


def _block_strings(blocks: Blocks) -> Iterator[str]:
    yield from (line.text for line in blocks.lines)
    yield blocks.rich
    yield from (b.url for b in blocks.buttons)


class _Budget:
    """Hands out strings until ``MAX_TOTAL`` characters were taken, then empty ones."""

    def __init__(self) -> None:
        self.left = MAX_TOTAL

    def take(self, value: Any) -> str:
        if value is None:
            return ""
        if type(value) is not str:  # NOTE: JSON's strings are exactly str: the common case first
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                return ""
            value = str(value)
        limit = min(MAX_TEXT, max(self.left, 0))
        text: str = value if len(value) <= limit else value[:limit]
        self.left -= len(text)
        return text


def _is_mapping(node: Any) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(node, (dict, Mapping))  # NOTE: dict first: an ABC check costs ten times more


def _dict(node: Any, key: str) -> Mapping[str, Any]:
    value = node.get(key) if _is_mapping(node) else None
    return value if _is_mapping(value) else {}


def _list(node: Any, key: str, limit: int = MAX_ITEMS) -> list[Mapping[str, Any]]:
    value = node.get(key) if _is_mapping(node) else None
    if not isinstance(value, list):
        return []
    return [item for item in value[:limit] if _is_mapping(item)]


def read_shape(message: Any) -> Message:
    """The message (an event's ``event``, a shortcut's ``message``) as a ``Message``."""
    if not _is_mapping(message):
        return Message()
    budget = _Budget()
    return Message(
        bot_id=budget.take(message.get("bot_id"))[:40],
        app_id=budget.take(message.get("app_id"))[:40],
        user=budget.take(message.get("user"))[:40],
        username=budget.take(message.get("username"))[:200],
        bot_name=budget.take(_dict(message, "bot_profile").get("name"))[:200],
        text=budget.take(message.get("text")),
        blocks=_blocks(_list(message, "blocks", MAX_BLOCKS), budget),
        attachments=tuple(
            _attachment(a, budget) for a in _list(message, "attachments", MAX_ATTACHMENTS)
        ),
    )


def _text_of(node: Any, budget: _Budget) -> str:
    """A text object's text (``{"type": "mrkdwn", "text": …}``), or a bare string."""
    if isinstance(node, str):
        return budget.take(node)
    return budget.take(node.get("text")) if _is_mapping(node) else ""


def _button(element: Mapping[str, Any], budget: _Budget) -> Button | None:
    url = budget.take(element.get("url"))
    if element.get("type") != "button" or not url:
        return None
    return Button(label=_text_of(element.get("text"), budget), url=url)


def _blocks(blocks: list[Mapping[str, Any]], budget: _Budget) -> Blocks:
    lines: list[Line] = []
    rich: list[str] = []
    links: list[str] = []
    buttons: list[Button] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(Line("header", _text_of(block.get("text"), budget)))
        elif kind == "section":
            if text := _text_of(block.get("text"), budget):
                lines.append(Line("section", text))
            lines += [Line("field", _text_of(f, budget)) for f in _list(block, "fields")]
            if button := _button(_dict(block, "accessory"), budget):
                buttons.append(button)
        elif kind == "context":
            lines += [
                Line("context", _text_of(e, budget))
                for e in _list(block, "elements")
                if e.get("type") in ("mrkdwn", "plain_text")
            ]
        elif kind == "actions":
            buttons += [b for e in _list(block, "elements") if (b := _button(e, budget))]
        elif kind == "rich_text":
            rich.append(_rich(block, budget, links, 0))
    return Blocks(
        lines=tuple(line for line in lines if line.text),
        rich="\n".join(r for r in rich if r).strip(),
        rich_link=links[0] if links else "",
        buttons=tuple(buttons),
    )


def _rich(node: Mapping[str, Any], budget: _Budget, links: list[str], depth: int) -> str:
    """A rich_text block (sections, lists, quotes, preformatted) as text."""
    parts: list[str] = []
    for element in _list(node, "elements", 1000):
        kind = element.get("type")
        if kind == "text":
            parts.append(budget.take(element.get("text")))
        elif kind == "link":
            text, url = budget.take(element.get("text")), budget.take(element.get("url"))
            if text or url:
                links.append(text or url)
            parts.append(f"{text} ({url})" if text and url else text or url)
        elif kind == "user":
            parts.append(f"<@{budget.take(element.get('user_id'))[:20]}>")
        elif kind == "channel":
            parts.append("#" + budget.take(element.get("channel_id"))[:20])
        elif kind == "emoji":
            parts.append(f":{budget.take(element.get('name'))[:60]}:")
        elif depth < MAX_DEPTH and "elements" in element:
            inner = _rich(element, budget, links, depth + 1)
            bullet = "• " if node.get("type") == "rich_text_list" else ""
            parts.append(f"{bullet}{inner}\n" if inner else "")
    return "".join(parts)


def _attachment(attachment: Mapping[str, Any], budget: _Budget) -> Attachment:
    take = budget.take
    return Attachment(
        fallback=take(attachment.get("fallback")),
        color=take(attachment.get("color"))[:20],
        pretext=take(attachment.get("pretext")),
        author=take(attachment.get("author_name")),
        title=take(attachment.get("title")),
        title_link=take(attachment.get("title_link")),
        text=take(attachment.get("text")),
        footer=take(attachment.get("footer")),
        fields=tuple(
            (take(f.get("title")), take(f.get("value"))) for f in _list(attachment, "fields")
        ),
        buttons=tuple(b for a in _list(attachment, "actions") if (b := _button(a, budget))),
        blocks=_blocks(_list(attachment, "blocks", MAX_BLOCKS), budget),
    )
