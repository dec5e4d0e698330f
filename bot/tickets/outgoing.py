"""The one check before anything people wrote leaves for a provider: a ticket's fields and text
files, a thread reply copied to the ticket, a comment. Each service calls it just before the
adapter's ``create`` or ``reply``; what the provider's policy redacts is replaced by
``[redacted: <kind>]`` and counted, and the caller tells the thread.

Values never leave this module: logs and metrics get kinds and counts, the form a masked form.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from bot.disclosure.scanner import MAX_FILE_BYTES, redact, scan
from bot.domain.disclosure import DisclosurePolicy, Finding, Located, Redacted, slug
from bot.domain.forms import FieldKind, Values
from bot.domain.text import truncate
from bot.domain.tickets import Attachment, Filer, NewTicket
from bot.providers.base import Provider

log = logging.getLogger(__name__)

# Texts longer than this are scanned in a worker thread, not on the event loop.
INLINE_CHARS = 8_000
# What a person types; choices, numbers and e-mail fields are the form's, not free text.
FREE_TEXT = (FieldKind.TEXT, FieldKind.LONG_TEXT)
TEXT_MIMES = ("application/json", "application/xml", "application/x-yaml", "application/yaml")
TEXT_SUFFIXES = (
    ".txt", ".log", ".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".env",
    ".xml", ".csv", ".sh", ".py", ".md", ".properties", ".pem", ".key", ".tf", ".sql",
)  # fmt: skip

Count = Callable[[str, str, int], None]  # (kind slug, provider, how many)


class Outgoing:
    """Knows each provider's policy; scans and redacts what is about to be sent."""

    def __init__(
        self,
        policies: Mapping[str, DisclosurePolicy],
        default: DisclosurePolicy | None = None,
        count: Count = lambda kind, provider, n: None,
    ) -> None:
        self._policies = policies
        self._default = default or DisclosurePolicy()
        self._count = count

    def policy(self, provider: str) -> DisclosurePolicy:
        return self._policies.get(provider, self._default)

    def findings(self, provider: Provider, values: Values) -> list[Located]:
        """What the provider's policy would redact in a form's free-text ``values``, by field
        (for the notice in the form, before submit: a few form fields, scanned inline)."""
        policy = self.policy(provider.name)
        found: list[Located] = []
        for key in _free_text(provider, values):
            value = values[key]
            assert isinstance(value, str)
            found += locate(key, scan(value, policy))
        return found

    async def ticket(
        self, provider: Provider, ticket: NewTicket, *, as_typed: Collection[str] = ()
    ) -> tuple[NewTicket, Redacted, list[str]]:
        """``ticket`` as it may be sent: its free text and text files redacted by policy, but
        for the findings (locators) an admin chose to send ``as_typed``; what was redacted;
        and "name: why" for each file left out."""
        policy = self.policy(provider.name)
        values: dict[str, Any] = dict(ticket.values)
        done = Redacted()
        for key in _free_text(provider, ticket.values):
            text = values[key]
            every = locate(key, await _scan(text, policy))
            found = [item for item in every if item.locator not in as_typed]
            kept = len(every) - len(found)
            if found:
                # NOTE: a replacement may be longer than what it replaces; the field's limit
                # still holds (the provider would refuse the ticket)
                cleaned = redact(text, [item.finding for item in found])
                limit = _limits(provider).get(key)
                values[key] = truncate(cleaned, limit) if limit else cleaned
            done += Redacted(kinds=tuple(i.finding.kind for i in found), as_typed=kept)
        attachments, redacted, skipped = await self.files(provider.name, ticket.attachments)
        done += redacted
        update = dict(values=values, attachments=tuple(attachments))
        return ticket.model_copy(update=update), done, skipped

    async def files(
        self, provider: str, attachments: Sequence[Attachment]
    ) -> tuple[list[Attachment], Redacted, list[str]]:
        """``attachments`` as they may be sent: text files redacted by policy, one too big to
        check left out; what was redacted; and "name: why" for each file left out."""
        policy = self.policy(provider)
        sent: list[Attachment] = []
        done = Redacted()
        skipped: list[str] = []
        for attachment in attachments:
            cleaned, redacted, why = await self._file(attachment, policy)
            if cleaned is None:
                skipped.append(f"{attachment.name}: {why}")
                continue
            sent.append(cleaned)
            done += redacted
        return sent, done, skipped

    async def text(self, provider: str, text: str) -> tuple[str, Redacted]:
        """A reply or comment as it may be sent, and what was redacted from it."""
        found = await _scan(text, self.policy(provider))
        done = Redacted(kinds=tuple(f.kind for f in found))
        return (redact(text, found) if found else text), done

    async def _file(
        self, attachment: Attachment, policy: DisclosurePolicy
    ) -> tuple[Attachment | None, Redacted, str]:
        """A text file redacted (or left out, too big to check); other files as they are."""
        if not _looks_textual(attachment) or not policy.redact:
            return attachment, Redacted(), ""
        if len(attachment.content) > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // 1_048_576
            return None, Redacted(), f"a text file over {limit} MB is not sent unchecked"
        try:
            text = attachment.content.decode("utf-8")
        except UnicodeDecodeError:
            return attachment, Redacted(), ""  # NOTE: not text after all (docs/security.md)
        found = await _scan(text, policy)
        if not found:
            return attachment, Redacted(), ""
        content = redact(text, found).encode("utf-8")
        redacted = Redacted(kinds=tuple(f.kind for f in found), files=(attachment.name,))
        return attachment.model_copy(update={"content": content}), redacted, ""

    def sent(
        self,
        provider: str,
        done: Redacted,
        *,
        filer: Filer | None = None,
        ticket: str | None = None,
    ) -> None:
        """What went to ``provider`` (once, after it took it; not per attempt): counted by
        kind on /metrics and logged, never with a value. ``filer``: who chose to send findings
        as typed on ticket ``ticket``, for the audit trail (who and when: the record's time)."""
        counts = Counter(done.kinds)
        for kind, n in counts.items():
            self._count(slug(kind), provider, n)
        if counts:
            log.info(
                "redacted before sending to a provider",
                extra={"provider": provider, "redacted": dict(counts)},
            )
        if done.as_typed and filer is not None:
            log.warning(
                "an admin sent findings as typed",
                extra={
                    "audit": "sent_as_typed",
                    "user": filer.user_id,
                    "team": filer.team_id,
                    "provider": provider,
                    "ticket": ticket,
                    "count": done.as_typed,
                },
            )


def locate(where: str, findings: list[Finding]) -> list[Located]:
    """Findings in ``where``, each with its ordinal among its kind on its line."""
    seen: Counter[tuple[int, str]] = Counter()
    located = []
    for finding in findings:
        key = (finding.line, finding.kind)
        located.append(Located(where=where, finding=finding, ordinal=seen[key]))
        seen[key] += 1
    return located


async def _scan(text: str, policy: DisclosurePolicy) -> list[Finding]:
    if len(text) <= INLINE_CHARS:
        return scan(text, policy)
    return await asyncio.to_thread(scan, text, policy)


def _free_text(provider: Provider, values: Values) -> list[str]:
    """The keys of ``values`` people typed freely (all strings if the form is not at hand)."""
    form = provider.cached_form()
    kinds = {field.key: field.kind for field in form.fields} if form else {}
    return [
        key
        for key, value in values.items()
        if isinstance(value, str) and kinds.get(key, FieldKind.TEXT) in FREE_TEXT
    ]


def _limits(provider: Provider) -> dict[str, int]:
    form = provider.cached_form()
    return {f.key: f.max_length for f in form.fields if f.max_length} if form else {}


def _looks_textual(attachment: Attachment) -> bool:
    mime = attachment.mime.split(";")[0].strip().lower()
    return (
        mime.startswith("text/")
        or mime in TEXT_MIMES
        or attachment.name.lower().endswith(TEXT_SUFFIXES)
    )
