"""Generic checks every form gets before anything is sent: required, lengths, choices, e-mails."""

from __future__ import annotations

import re

from bot.domain.forms import FieldKind, Form, FormField, Values
from bot.domain.text import whole_number

# NOTE: deliberately simple: one @, no spaces, a dot in the domain. Providers validate further.
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def _offered(field: FormField, value: str) -> bool:
    return any(choice.value == value for choice in field.choices)


def check_form(form: Form, values: Values) -> dict[str, str]:
    """Field key → message for every value that breaks the form's own rules."""
    errors: dict[str, str] = {}
    for field in form.fields:
        value = values.get(field.key)
        if not value:
            if field.required:
                errors[field.key] = f"{field.label} is required."
            continue
        kind = field.kind
        if kind is FieldKind.CHECKBOXES:
            picked = (value,) if isinstance(value, str) else value
            if not all(_offered(field, item) for item in picked):
                errors[field.key] = "Pick from the listed options."
            continue
        if kind is FieldKind.EMAILS or kind is FieldKind.EMAIL:
            items = (value,) if isinstance(value, str) else value
            bad = [item for item in items if not EMAIL.match(item)]
            if bad:
                errors[field.key] = f"Not an e-mail address: {', '.join(bad[:3])}"
            continue
        text = value if isinstance(value, str) else ", ".join(value)
        if kind is FieldKind.SELECT and not _offered(field, text):
            errors[field.key] = "Pick one of the options."
        elif kind is FieldKind.INTEGER and whole_number(text) is None:
            errors[field.key] = "Enter a whole number."
        elif field.min_length is not None and len(text) < field.min_length:
            errors[field.key] = f"At least {field.min_length} characters (now {len(text)})."
        elif field.max_length is not None and len(text) > field.max_length:
            errors[field.key] = f"At most {field.max_length} characters (now {len(text)})."
    return errors
