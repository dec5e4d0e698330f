"""What people file, checked before it leaves for a provider: the findings, the policy that
says which kinds are redacted, and what was redacted.

Not to be confused with ``bot.redact``, which hides the bot's *own* secrets (its tokens) in
its logs and messages. This is about the secrets and personal data people paste into tickets.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class Category(StrEnum):
    """What a policy can name in ``redact = [...]``."""

    SECRETS = "secrets"
    EMAILS = "emails"
    PHONES = "phones"
    IPS = "ips"
    CARDS = "cards"


class Finding(BaseModel):
    """One thing found in a text: its kind and where, never its value.

    ``masked`` shows at most its first and last four characters (``AKIA…MPLE``), for the
    person who typed it; it is never logged.
    """

    model_config = ConfigDict(frozen=True)

    kind: str  # "AWS access key"
    category: Category
    line: int  # 1-based
    start: int  # offsets in the scanned text
    end: int
    masked: str

    @property
    def slug(self) -> str:
        return slug(self.kind)

    @property
    def replacement(self) -> str:
        return f"[redacted: {self.kind}]"


def slug(kind: str) -> str:
    """A kind as a metric label: ``aws_access_key``."""
    return re.sub(r"[^a-z0-9]+", "_", kind.lower()).strip("_")


class Located(BaseModel):
    """A finding in a named place (a form field, a reply, a file)."""

    model_config = ConfigDict(frozen=True)

    where: str  # a field key, "reply", "comment" or a file name
    finding: Finding
    ordinal: int = 0  # the n-th finding of this kind on this line

    @property
    def locator(self) -> str:
        """Stable across scans of the same text; holds no part of the value."""
        return f"{self.where}:{self.finding.line}:{self.finding.slug}:{self.ordinal}"


def digest(found: Sequence[Located]) -> str:
    """Which findings a form has shown, in 16 characters (locators only, never values): a
    submit with the same findings goes ahead, one with new findings is shown them first."""
    joined = "\n".join(sorted(item.locator for item in found))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


class Redacted(BaseModel):
    """What was taken out of one outgoing message, by kind; and what was left out whole."""

    model_config = ConfigDict(frozen=True)

    kinds: tuple[str, ...] = ()  # one entry per redaction (kinds repeat)
    files: tuple[str, ...] = ()  # files in which something was redacted
    as_typed: int = 0  # findings an admin chose to send as typed

    def __bool__(self) -> bool:
        return bool(self.kinds)

    def __add__(self, other: Redacted) -> Redacted:
        return Redacted(
            kinds=(*self.kinds, *other.kinds),
            files=(*self.files, *other.files),
            as_typed=self.as_typed + other.as_typed,
        )

    def counts(self) -> dict[str, int]:
        return dict(Counter(self.kinds))

    def sentence(self, provider_title: str) -> str:
        """``2 secrets were redacted before this went to HostUp (AWS access key, …).``"""
        count = len(self.kinds)
        noun = "secret" if all(_is_secret(k) for k in self.kinds) else "finding"
        verb = "was" if count == 1 else "were"
        kinds = ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in self.counts().items())
        files = f"; in {', '.join(dict.fromkeys(self.files))}" if self.files else ""
        plural = "" if count == 1 else "s"
        return (
            f"{count} {noun}{plural} {verb} redacted before this went to {provider_title} "
            f"({kinds}{files})."
        )


PERSONAL_KINDS = {"e-mail address", "phone number", "IP address", "card number"}


def _is_secret(kind: str) -> bool:
    return kind not in PERSONAL_KINDS


def _patterns(value: tuple[str, ...]) -> tuple[str, ...]:
    for n, pattern in enumerate(value):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"entry {n} is not a regular expression ({exc.msg})") from None
    return value


# ``allow = [...]`` in the providers file: regular expressions, checked at start.
AllowPatterns = Annotated[tuple[str, ...], AfterValidator(_patterns)]


class DisclosurePolicy(BaseModel):
    """``redact = [...]`` and ``allow = [...]`` for one provider (or the ``[ticketbot]``
    default): which categories are redacted, and patterns for strings that look secret but
    are not (a team's public key ids). An ``allow`` pattern must match a finding whole."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    redact: tuple[Category, ...] = Field(default=(Category.SECRETS,))
    allow: AllowPatterns = ()

    def allowed(self, value: str) -> bool:
        return any(re.fullmatch(p, value) for p in self.allow)


def merge(
    default: DisclosurePolicy, redact: Iterable[Category] | None, allow: Iterable[str]
) -> DisclosurePolicy:
    """A provider's policy: its own ``redact`` if it has one, else the default; the default's
    ``allow`` patterns plus its own."""
    return DisclosurePolicy(
        redact=tuple(redact) if redact is not None else default.redact,
        allow=(*default.allow, *allow),
    )
