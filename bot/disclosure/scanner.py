"""The scan: secrets and, where a policy asks, personal data in a text; and the text with
them replaced by ``[redacted: <kind>]``.

Bounded: patterns see the text in windows of ``WINDOW`` characters, so their work is linear in
the text's length whatever the input; callers cap how much text they hand in
(``MAX_FILE_BYTES``). A secret on a window's edge is whole in one: windows overlap by
``OVERLAP``, and a window whose edge cuts a run of token characters reaches to the run's end
(at most ``LONGEST_TOKEN`` more), so a 1,600-character JWT or a 4,096-character bearer token
is never seen only in halves.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from functools import cache

from bot.disclosure.personal import cards_in, emails_in, ips_in, phones_in
from bot.disclosure.secrets import KINDS, Hit, keywords_in, private_key_end, tokens_in
from bot.domain.disclosure import Category, DisclosurePolicy, Finding

WINDOW = 2048
OVERLAP = 512
LONGEST_TOKEN = 4096  # NOTE: the longest value a pattern takes (secrets.TOKEN_TAIL, bearer)
TOKEN_RUN = re.compile(rf"[A-Za-z0-9_\-.+/=~]{{0,{LONGEST_TOKEN}}}")  # as secrets.TOKEN_TAIL
MAX_FILE_BYTES = 1_048_576  # a bigger text file is not scanned: it is left out

Finder = Callable[[str], Iterator[Hit]]
# Patterns that never cross a line run over whole windows; the rest line by line.
PER_WINDOW: dict[Category, Finder] = {
    Category.EMAILS: emails_in,
    Category.IPS: ips_in,
    Category.CARDS: cards_in,
}
PER_LINE: dict[Category, Finder] = {Category.PHONES: phones_in}
Finders = tuple[tuple[Category, Finder], ...]
PRIVATE_KEY = KINDS["Private Key"]


def scan(text: str, policy: DisclosurePolicy) -> list[Finding]:
    """What ``policy`` redacts in ``text``, in order, none overlapping."""
    if not policy.redact or not text:
        return []
    per_window, per_line = _finders(policy.redact)
    hits: list[tuple[Hit, Category]] = []
    for offset, window in _windows(text, 0):
        hits += _run(per_window, window, offset)
    line_start = 0
    for line in text.split("\n"):
        for offset, window in _windows(line, line_start):
            hits += _run(per_line, window, offset)
        line_start += len(line) + 1
    return _findings(text, hits, policy)


@cache
def _finders(redact: tuple[Category, ...]) -> tuple[Finders, Finders]:
    """The finders over whole windows and over lines, for a policy's categories."""
    secrets = Category.SECRETS in redact
    per_window = [(c, f) for c, f in PER_WINDOW.items() if c in redact]
    per_line = [(c, f) for c, f in PER_LINE.items() if c in redact]
    if secrets:
        per_window.insert(0, (Category.SECRETS, tokens_in))
        per_line.insert(0, (Category.SECRETS, keywords_in))
    return tuple(per_window), tuple(per_line)


def _run(finders: Finders, text: str, offset: int) -> Iterator[tuple[Hit, Category]]:
    for category, finder in finders:
        for hit in finder(text):
            yield Hit(hit.kind, offset + hit.start, offset + hit.end), category


def redact(text: str, findings: list[Finding]) -> str:
    """``text`` with each finding replaced by ``[redacted: <kind>]``."""
    parts, at = [], 0
    for finding in sorted(findings, key=lambda f: f.start):
        parts += [text[at : finding.start], finding.replacement]
        at = finding.end
    parts.append(text[at:])
    return "".join(parts)


def mask(value: str) -> str:
    """At most the first and last four characters: ``AKIA…MPLE``; nothing of a short one."""
    value = value.strip()
    if len(value) >= 16:
        return f"{value[:4]}…{value[-4:]}"
    if len(value) >= 10:
        return f"{value[:2]}…{value[-2:]}"
    return "…"


def _findings(
    text: str, hits: list[tuple[Hit, Category]], policy: DisclosurePolicy
) -> list[Finding]:
    # NOTE: earliest first, secrets before personal data (a URL's password before the e-mail
    # address it looks like), the longest first; a hit inside a kept one is dropped.
    hits.sort(key=lambda h: (h[0].start, h[1] is not Category.SECRETS, -(h[0].end - h[0].start)))
    found: list[Finding] = []
    reach = -1
    newlines = [n for n, char in enumerate(text) if char == "\n"] if hits else []
    for hit, category in hits:
        if hit.start < reach:
            continue
        if hit.kind == PRIVATE_KEY:  # NOTE: the whole block, up to its END line
            start = _dashes_before(text, hit.start)
            hit = Hit(hit.kind, start, private_key_end(text, start))
        value = text[hit.start : hit.end]
        if policy.allowed(value):
            continue
        found.append(
            Finding(
                kind=hit.kind,
                category=category,
                line=bisect_right(newlines, hit.start) + 1,
                start=hit.start,
                end=hit.end,
                masked=mask(value),
            )
        )
        reach = hit.end
    return found


def _windows(text: str, offset: int) -> Iterator[tuple[int, str]]:
    """``text`` in overlapping windows, with where each starts (``offset`` added)."""
    if len(text) <= WINDOW:
        yield offset, text
        return
    for at in range(0, len(text) - OVERLAP, WINDOW - OVERLAP):
        yield offset + at, text[at : _edge(text, at + WINDOW)]


def _edge(text: str, end: int) -> int:
    """Where a window that would end at ``end`` ends: past the token ``end`` cuts, if the run
    of token characters it cuts is no longer than a token can be (a longer run is no token,
    and reaching over it would make adversarial text cost a window's worth more per window)."""
    ahead = TOKEN_RUN.match(text, end)
    if ahead is None or ahead.end() == end:
        return end
    behind = TOKEN_RUN.match(text[max(0, end - LONGEST_TOKEN - 1) : end][::-1])
    if behind is None or behind.end() + ahead.end() - end > LONGEST_TOKEN:
        return end
    return ahead.end()


def _dashes_before(text: str, start: int) -> int:
    """A key's ``-----BEGIN``: the dashes before the plugin's match belong to it."""
    while start > 0 and text[start - 1] == "-":
        start -= 1
    return start
