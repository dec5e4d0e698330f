"""What the filer and the thread are told about findings: the notice in the form before
submit, the admin's "send as typed" choice, and the thread's "2 secrets were redacted"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.disclosure import Located, Redacted
from bot.domain.forms import Choice, FieldKind, FormField
from bot.domain.text import truncate
from bot.slack.views.text import escape

AS_TYPED = "send_as_typed"
LISTED = 10  # a checkbox group's limit, and enough to read


def notice_text(found: Sequence[Located], labels: Mapping[str, str], title: str) -> str:
    """The banner above the form: each finding's kind, where, masked, and what is sent."""
    count = len(found)
    lines = [
        f"*{count} {'thing' if count == 1 else 'things'} in this ticket "
        f"{'looks' if count == 1 else 'look'} secret or personal.* "
        f"{escape(title)} will get the redacted form shown below. Check, then submit again.",
    ]
    for item in found[:LISTED]:
        lines.append(
            f"• {where_text(item, labels)}: `{_code(item.finding.masked)}` will be sent as "
            f"`{escape(item.finding.replacement)}`"
        )
    if count > LISTED:
        lines.append(f"…and {count - LISTED} more.")
    return "\n".join(lines)


def where_text(item: Located, labels: Mapping[str, str]) -> str:
    """*AWS access key* in Description, line 3"""
    label = labels.get(item.where, item.where)
    return f"*{escape(item.finding.kind)}* in {escape(label)}, line {item.finding.line}"


def as_typed_field(found: Sequence[Located], labels: Mapping[str, str]) -> FormField:
    """For admins: the findings to send as typed (unticked: redacted)."""
    choices = tuple(
        Choice(
            value=item.locator,
            label=truncate(
                f"{item.finding.kind} in {labels.get(item.where, item.where)}, line "
                f"{item.finding.line} ({item.finding.masked})",
                75,
            ),
        )
        for item in found[:LISTED]
    )
    return FormField(
        key=AS_TYPED,
        label="Send as typed (admins)",
        kind=FieldKind.CHECKBOXES,
        required=False,
        choices=choices,
        default="",
        hint="Ticked findings go to the provider unredacted. The choice is recorded in the "
        "audit log (who and when, not what).",
    )


def redacted_text(redacted: Redacted, title: str) -> str:
    """The thread's note: *2 secrets were redacted before this went to HostUp (…).*"""
    return f":lock: {escape(redacted.sentence(title))}"


def _code(text: str) -> str:
    return escape(text.replace("`", "'"))
