"""Prefilling the form from an alert (``bot.alerts`` read the message) and fitting it to a
provider.

Severity maps onto the provider's own priority words: critical → its highest level that needs
no extra justification, warning → medium, info/resolved → its lowest. The user can change it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.alerts import Alert, Severity
from bot.domain.conversation import Said
from bot.domain.forms import CommonField, FieldKind, FieldValue, Form
from bot.domain.text import truncate, utc_time

# Levels that ask for more than a click (HostUp wants a reason with critical).
EXCEPTIONAL = {"critical", "emergency"}
MIDDLE = ("medium", "normal")


DESCRIPTION = 3000
TALK = 1500  # of the description, at most, for the thread's conversation


def talk(conversation: Sequence[Said]) -> str:
    """The thread's conversation, oldest first, as many messages as fit ``TALK``."""
    if not conversation:
        return ""
    head = (
        f"Conversation in the thread ({len(conversation)} messages; "
        "delete what should not be sent):"
    )
    lines = [head]
    for said in conversation:
        line = f"{utc_time(said.at)} {said.who}: {said.text}"
        if sum(len(x) + 1 for x in lines) + len(line) > TALK:
            lines.append(f"(and {len(conversation) - len(lines) + 1} more in the thread)")
            break
        lines.append(line)
    return "\n".join(lines)


def prefill_values(
    alert: Alert,
    *,
    poster: str | None,
    permalink: str | None,
    channel: str | None,
    conversation: Sequence[Said] = (),
) -> dict[str, FieldValue]:
    """Subject and description from the alert, with where it came from and, if it has a
    thread, the conversation there (who said what and when)."""
    origin = [
        f"Slack message: {permalink}" if permalink else None,
        f"Channel: #{channel}" if channel else None,
        f"Posted by: {poster}" if poster else None,
    ]
    tail = "\n".join(line for line in origin if line)
    if said := talk(conversation):
        tail = f"{tail}\n\n{said}".strip()
    body = truncate(alert.body, max(DESCRIPTION - len(tail) - 2, DESCRIPTION // 3))
    description = f"{body}\n\n{tail}".strip()
    values: dict[str, FieldValue] = {}
    if alert.subject:
        values[CommonField.SUBJECT.value] = alert.subject
    if description:
        values[CommonField.DESCRIPTION.value] = truncate(description, DESCRIPTION)
    return values


def priority_for(form: Form, severity: str | None) -> str | None:
    field = form.field(CommonField.PRIORITY)
    if field is None or field.kind is not FieldKind.SELECT or not severity:
        return None
    levels = [choice.value for choice in field.choices]  # NOTE: adapters list low → high
    if not levels:
        return None
    if severity == Severity.CRITICAL:
        usual = [level for level in levels if level.lower() not in EXCEPTIONAL]
        return (usual or levels)[-1]
    if severity == Severity.WARNING:
        return next((lv for lv in levels if lv.lower() in MIDDLE), levels[len(levels) // 2])
    return levels[0]


def fit_to_form(
    form: Form, values: Mapping[str, FieldValue], severity: str | None
) -> dict[str, FieldValue]:
    """Prefilled values cut to the form's limits (on a word boundary) plus the priority."""
    fitted = dict(values)
    for field in form.fields:
        value = fitted.get(field.key)
        if isinstance(value, str) and field.max_length and len(value) > field.max_length:
            fitted[field.key] = truncate(value, field.max_length)
    if CommonField.PRIORITY not in fitted and (level := priority_for(form, severity)):
        fitted[CommonField.PRIORITY] = level
    return fitted
