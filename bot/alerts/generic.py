"""The generic reader: what any alert message says, read the way a person would.

Each tool's module (``bot.alerts.tools``) overrides only what its format says better: how to
recognise it, its identity, its resolved marker, its subject. Everything here is linear in the
message's size (``bot.alerts.text``) and works on ``bot.alerts.shape.Message`` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from bot.alerts.shape import Blocks, Message
from bot.alerts.text import clean_subject, one_line, plain, without_shortcodes
from bot.domain.alerts import Severity

Names = Mapping[str, str]


def _field_line(text: str, names: Names) -> str:
    """``*Host*\\ndb-1`` or ``*Host:* db-1`` → ``Host: db-1``."""
    key, _, value = plain(text, names).partition("\n")
    key = key.strip().rstrip(":")
    return f"{key}: {value.strip()}" if value.strip() else key


def _block_lines(blocks: Blocks, names: Names) -> list[str]:
    out: list[str] = []
    for line in blocks.lines:
        if line.kind == "field":
            out.append(_field_line(line.text, names))
        elif line.kind != "header":
            out.append(plain(line.text, names))
    out += [button_line(b.label, b.url, names) for b in blocks.buttons]
    return out


def button_line(label: str, url: str, names: Names) -> str:
    label = one_line(without_shortcodes(plain(label, names)))
    return f"{label}: {url}" if label else url


def titles(message: Message) -> list[str]:
    """What the message calls itself, raw: headers, PagerDuty's link, attachment titles."""
    found = list(message.blocks.headers)
    if message.blocks.rich_link:
        found.append(message.blocks.rich_link)
    for attachment in message.attachments:
        found += attachment.blocks.headers
        if attachment.title:
            found.append(attachment.title)
    return [t for t in found if t.strip()]


def body(message: Message, names: Names) -> str:
    """Every fact the message carries, as readable lines: values, hosts and every link."""
    out: list[str] = []
    if message.blocks.rich:
        out.append(plain(message.blocks.rich, names))
    out += _block_lines(message.blocks, names)
    for a in message.attachments:
        if a.pretext:
            out.append(plain(a.pretext, names))
        if a.author:
            out.append(plain(a.author, names))
        if a.title and a.title_link:
            out.append(f"{plain(a.title, names).strip()} ({a.title_link})")
        if a.text:
            out.append(plain(a.text, names))
        out += [f"{plain(t, names)}: {plain(v, names)}".strip(": ") for t, v in a.fields]
        out += [plain(h, names) for h in a.blocks.headers]
        out += _block_lines(a.blocks, names)
        out += [button_line(b.label, b.url, names) for b in a.buttons]
        if a.footer:
            out.append(plain(a.footer, names))
    text = plain(message.text, names).strip()
    if text and not (message.blocks.lines and titles(message)):  # blocks repeat it as fallback
        out.insert(0, text)
    elif not out and message.attachments:
        out = [plain(a.fallback, names) for a in message.attachments if a.fallback]
    lines = [line.strip("\n") for line in out if line.strip()]
    return "\n".join(line for n, line in enumerate(lines) if not n or line != lines[n - 1])


def first_line(text: str) -> str:
    """The first line with three letters or more once emoji are gone (a quote's ``>`` off)."""
    for line in text.splitlines()[:200]:
        line = line[:HEAD].strip(" >#-•")
        if len(without_shortcodes(line).strip()) >= 3:
            return line
    return text.strip()[:150]


def subject(message: Message, names: Names, read: str | None = None) -> str:
    """The first title, or the first meaningful line of the body (``read`` if given)."""
    found = titles(message)
    if found:
        return clean_subject(plain(found[0][:HEAD], names))
    return clean_subject(first_line(body(message, names) if read is None else read))


HEAD = 500  # a title or a first line longer than this says its state within it
SCAN = 8_000  # severity words are said near the top, not 40,000 characters down


@lru_cache(maxsize=8)
def heads(message: Message) -> tuple[str, ...]:
    """Titles and first lines, plain: where a state ("resolved", "OK") is said (computed
    once per message: most readers look)."""
    found = [message.text.split("\n", 1)[0], message.blocks.rich.split("\n", 1)[0]]
    found += titles(message)
    for a in message.attachments:
        found += [a.fallback, a.pretext, a.text.strip().split("\n", 1)[0]]
    return tuple(without_shortcodes(plain(h[:HEAD])).strip() for h in found if h.strip())


RESOLVED_HEAD = re.compile(
    r"^\W{0,10}(resolved|recovered|recovery|incident resolved)\b|\[(resolved|ok|recovered)\b",
    re.I,
)


def said_resolved(message: Message, pattern: re.Pattern[str] = RESOLVED_HEAD) -> bool:
    """A title or a first line says the alert is over. Only heads count: "not resolved" deep
    in a body must not end an alert."""
    return any(pattern.search(head) for head in heads(message))


CRITICAL = re.compile(r"\b(critical|crit|p1|sev-?1|sev 1|fatal|emergency|disaster)\b", re.I)
WARNING = re.compile(r"\b(warning|warn|p2|p3|sev-?[23]|sev [23]|major|degraded)\b", re.I)
INFO = re.compile(r"\b(info|informational|p[45]|notice)\b", re.I)
_COLOURS = {
    "danger": Severity.CRITICAL,
    "warning": Severity.WARNING,
    "a30200": Severity.CRITICAL,  # NOTE: Slack stores "danger" as #a30200, "warning" #daa038
    "daa038": Severity.WARNING,
}
_HEX = re.compile(r"#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})")


def colour_severity(colour: str) -> Severity | None:
    colour = colour.lower().strip()
    if colour.lstrip("#") in _COLOURS:
        return _COLOURS[colour.lstrip("#")]
    match = _HEX.fullmatch(colour)
    if not match:
        return None
    red, green, blue = (int(part, 16) for part in match.groups())
    if red > 180 and green < 100 and blue < 120:
        return Severity.CRITICAL
    if red > 180 and green >= 100 and blue < 100:
        return Severity.WARNING
    return None


def word_severity(text: str) -> Severity | None:
    if CRITICAL.search(text):
        return Severity.CRITICAL
    if WARNING.search(text):
        return Severity.WARNING
    return Severity.INFO if INFO.search(text) else None


def severity(message: Message) -> Severity | None:
    """Severity words first (titles, then everything), then attachment colours."""
    for text in ("\n".join(heads(message)), message.all_text[:SCAN]):
        if found := word_severity(text):
            return found
    colours = (colour_severity(a.color) for a in message.attachments)
    return next((c for c in colours if c is not None), None)


_STATUS = re.compile(
    r"\[(?:firing|resolved|ok|alerting|no ?data|pending)(?::\d{1,6})?\]"
    r"|\b(?:firing|resolved|recovered|recovery|triggered|alerting|alarm|problem|ok|up|down"
    r"|critical|crit|warning|warn|info|error|unknown|fired|again)\b"
    r"|\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2})?(?:\.\d{1,9})?)?(?:z|[+-]\d{2}:?\d{2})?"
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\b"
    r"|\(\d{1,6}(?:st|nd|rd|th)? ?(?:times?)?\)",
    re.I,
)
_NOT_WORD = re.compile(r"[\W_]+")


def title_key(text: str) -> str:
    """A title without its status words, counters and timestamps, as a key: the same for an
    alert's firing and resolved messages."""
    key = _STATUS.sub(" ", without_shortcodes(plain(text[:HEAD])).lower())
    return _NOT_WORD.sub(" ", key).strip()[:200]


def identity(message: Message) -> str | None:
    """For a tool we do not know: the title without status words (its sender is added by the
    caller). A person's message has none: people do not re-fire."""
    if message.sender is None:
        return None
    found = titles(message)
    key = title_key(found[0] if found else first_line(plain(message.text)))
    return f"title:{key}" if key else None
