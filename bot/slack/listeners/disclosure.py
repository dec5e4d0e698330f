"""The form's notice of what would not be sent as typed: scanned when the modal is built (the
prefilled alert) and on submit (what was typed).

NOTE: Slack modals send nothing while people type, so the typed text is checked on submit:
with findings the form has not shown yet, the submit's ack answers ``response_action:
"update"`` with the same form, what was typed kept, and the notice above it; submitting again
(findings unchanged) files it, redacted. ``"errors"`` would show one line under one field and
cannot carry the admin's "send as typed" choice.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.disclosure import digest
from bot.domain.drafts import ModalContext
from bot.domain.forms import FieldValue, Form
from bot.providers.base import Provider
from bot.slack.context import SlackContext
from bot.slack.views.disclosure import as_typed_field, notice_text


def with_notice(
    deps: SlackContext,
    provider: Provider,
    ctx: ModalContext,
    form: Form,
    values: Mapping[str, FieldValue],
    *,
    is_admin: bool,
    banner: str | None = None,
) -> tuple[ModalContext, Form, str | None]:
    """The modal's context, form and banner for ``values``: with the notice and (for admins)
    the "send as typed" choice if the provider's policy would redact something in them."""
    found = deps.outgoing.findings(provider, values)
    if not found:
        return ctx, form, banner
    labels = {field.key: field.label for field in form.fields}
    notice = notice_text(found, labels, provider.title)
    if deps.drafting.may_send_as_typed(is_admin):
        form = form.model_copy(update={"fields": (*form.fields, as_typed_field(found, labels))})
    ctx = ctx.model_copy(update={"noticed": digest(found)})
    return ctx, form, f"{banner}\n{notice}" if banner else notice
