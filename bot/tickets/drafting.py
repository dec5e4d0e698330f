"""Drafting: the one place that turns what a person or a trigger gave into a ``Draft``.

A modal submit, a reaction in a file-at-once route and a Workflow Builder step each give
values; they are checked against the form for this filer (the provider's form, the message's
files, and "File as" for admins where requesters exist), the form's own rules, the provider's
own rules and "file as". What fails is a field error: ``FieldErrors`` for a modal, which shows
them on their fields, ``CannotFileAsIs`` where there is no form to show them on. The error
handler re-renders a submitted draft with the form this gives, so it is the form that was
checked.

The Slack layer reads the values out of its payloads and renders what comes back; nothing here
knows a view's state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain.disclosure import Located, digest
from bot.domain.drafts import Draft, FileRef, ModalContext
from bot.domain.errors import CannotFileAsIs, FieldErrors, FormUnavailable, TicketbotError
from bot.domain.forms import Choice, FieldKind, FieldValue, Form, FormField
from bot.domain.routes import Routes
from bot.domain.text import size_text
from bot.domain.tickets import Filer, RequesterSource
from bot.providers.base import Provider, takes_attachments
from bot.tickets.filing import FILES_KEY
from bot.tickets.forms import check_form
from bot.tickets.links import LinkService
from bot.tickets.outgoing import Outgoing
from bot.tickets.prefill import fit_to_form
from bot.tickets.requesters import NotLinked
from bot.tickets.routing import route_values

FILE_AS = "file_as"
PICK_PROVIDER = "Pick where the ticket should go."


class FilingAccess(Protocol):
    """Who may file, and see what was filed, where (the Slack layer's access checks)."""

    async def require_may_file(self, user_id: str, channel_id: str | None) -> None: ...

    async def is_admin(self, user_id: str) -> bool: ...

    async def may_read(self, user_id: str, *, filed_by: str, filed_from: str | None) -> bool: ...


@dataclass(frozen=True)
class FilerForm:
    """The form one filer fills for one provider, and where it is filed from (``context``,
    its provider set)."""

    provider: Provider
    form: Form
    is_admin: bool
    context: ModalContext


@dataclass(frozen=True)
class Unseen:
    """What the provider's policy would redact in the values and the form has not shown yet:
    it shows them first; the next submit (with them unchanged) files, redacted."""

    found: tuple[Located, ...]


def form_defaults(form: Form) -> dict[str, FieldValue]:
    """The values the modal opens with: each field's default (the provider's config's)."""
    found: dict[str, FieldValue] = {}
    for field in form.fields:
        if not field.default:
            continue
        multi = field.kind in (FieldKind.CHECKBOXES, FieldKind.EMAILS)
        found[field.key] = tuple(field.default.split(",")) if multi else field.default
    return found


class Drafting:
    """Forms for filers, and drafts checked against them."""

    def __init__(
        self,
        providers: Mapping[str, Provider],
        access: FilingAccess,
        links: LinkService,
        routes: Routes,
        outgoing: Outgoing,
        *,
        send_as_typed: bool,
    ) -> None:
        self._providers = providers
        self._access = access
        self._links = links
        self._routes = routes
        self._outgoing = outgoing
        self._send_as_typed = send_as_typed

    def may_send_as_typed(self, is_admin: bool) -> bool:
        """Whether this filer may send what the policy would redact as typed."""
        return is_admin and self._send_as_typed

    def form_for(
        self,
        provider: Provider,
        form: Form,
        *,
        is_admin: bool,
        filer: Filer,
        files: tuple[FileRef, ...] = (),
    ) -> Form:
        """The provider's form, plus the message's files (a checkbox each, on by default) and,
        for admins where requesters exist, a "File as" field.

        NOTE: a submit is checked against this form too, so a non-admin's forged "File as" is
        never read.
        """
        if files:
            form = form.model_copy(update={"fields": (*form.fields, _files_field(provider, files))})
        if not is_admin:
            return form
        default = provider.default_requester(filer)
        if default is not None and default.source is RequesterSource.TOKEN_OWNER:
            return form
        file_as = FormField(
            key=FILE_AS,
            label="File as (requester id)",
            required=False,
            max_length=100,
            hint="Admins only: file on someone's behalf. Leave empty to file as yourself.",
        )
        return form.model_copy(update={"fields": (*form.fields, file_as)})

    def prefilled(
        self, provider: Provider, form: Form, ctx: ModalContext, values: Mapping[str, FieldValue]
    ) -> dict[str, FieldValue]:
        """``values`` with the channel's route's defaults under them (the route beats the
        alert's severity), cut to the form's limits, the priority picked from the severity."""
        route = self._routes.of(ctx.channel_id)
        return fit_to_form(
            form, {**route_values(route, provider.name, form), **values}, ctx.severity
        )

    async def look_up(self, provider: Provider) -> Form:
        """``provider``'s form, its look-ups (departments, subjects) fetched again if their
        cache is stale: for a modal about to open, or ahead of the next one."""
        return await provider.form()

    async def form(self, filer: Filer, ctx: ModalContext, provider: str | None) -> FilerForm:
        """The form a submit is checked against: ``provider``'s (``FieldErrors`` if none is
        picked), as this process has it or looked up again (the modal opened before it
        started; ``FormUnavailable`` if the provider does not give it), for a filer who may
        file from where the modal was opened (``NotAllowed``)."""
        chosen = self._providers.get(provider or "")
        if chosen is None:
            raise FieldErrors({}, general=PICK_PROVIDER)
        ctx = ctx.with_provider(chosen.name)
        form = chosen.cached_form() or await _form_after_restart(chosen)
        if form is None:
            raise FormUnavailable(
                f"{chosen.title} did not answer in time to check this. Please submit again."
            )
        await self._access.require_may_file(filer.user_id, ctx.channel_id)
        return await self._for_filer(chosen, form, filer, ctx)

    async def shown_form(self, filer: Filer, ctx: ModalContext) -> FilerForm | None:
        """The form a submitted modal showed ``filer``, as this process has it (no look-up,
        no access check: the error handler re-renders the draft on it); None if it has not."""
        provider = self._providers.get(ctx.provider or "")
        form = provider.cached_form() if provider else None
        if provider is None or form is None:
            return None
        return await self._for_filer(provider, form, filer, ctx)

    async def _for_filer(
        self, provider: Provider, form: Form, filer: Filer, ctx: ModalContext
    ) -> FilerForm:
        is_admin = await self._access.is_admin(filer.user_id)
        shown = self.form_for(provider, form, is_admin=is_admin, filer=filer, files=ctx.files)
        return FilerForm(provider=provider, form=shown, is_admin=is_admin, context=ctx)

    def draft(
        self,
        shown: FilerForm,
        filer: Filer,
        values: Mapping[str, FieldValue],
        *,
        as_typed: Sequence[str] = (),
        view_id: str | None = None,
    ) -> Draft | Unseen:
        """The draft of what was typed in ``shown`` (``as_typed``: the findings an admin
        ticked to send unredacted; ``view_id``: the modal, which shows how filing went), or
        what the form must show first. ``FieldErrors`` by field key if the form, the
        provider's rules or "file as" refuse a value."""
        provider, ctx = shown.provider, shown.context
        values = dict(values)
        errors = check_form(shown.form, values) | provider.check_values(values)
        file_as = values.pop(FILE_AS, None)
        if isinstance(file_as, str) and (problem := provider.requester_id_problem(file_as)):
            errors[FILE_AS] = problem
        if errors:
            raise FieldErrors(errors)
        found = self._outgoing.findings(provider, values)
        if found and ctx.noticed != digest(found):
            return Unseen(tuple(found))
        known = {item.locator for item in found}
        return Draft(
            provider=provider.name,
            values=values,
            filer=filer,
            context=ctx,
            file_as=file_as if isinstance(file_as, str) else None,
            as_typed=tuple(p for p in as_typed if p in known)
            if found and self.may_send_as_typed(shown.is_admin)
            else (),
            view_id=view_id,
        )

    async def without_form(
        self,
        provider: Provider,
        *,
        filer: Filer,
        ctx: ModalContext,
        values: Mapping[str, FieldValue],
    ) -> Draft:
        """A draft of ``values`` (the route's defaults and the form's under them, the
        message's files attached) that the provider's form accepts, filed as ``filer``;
        ``CannotFileAsIs`` says what a person must add if there is none."""
        form = await provider.form()
        merged = {**form_defaults(form), **self.prefilled(provider, form, ctx, values)}
        merged = {k: v for k, v in merged.items() if form.has_field(k)}
        if ctx.files:
            merged[FILES_KEY] = tuple(f.id for f in ctx.files)
        errors = check_form(form, merged) | provider.check_values(merged)
        if errors:
            labels = {f.key: f.label for f in form.fields}
            said = " ".join(
                text if labels.get(k, k) in text else f"{labels.get(k, k)}: {text}"
                for k, text in errors.items()
            )
            raise CannotFileAsIs(f"{provider.title} needs more to file this: {said}")
        try:
            await self._links.requester(provider, filer)
        except NotLinked as exc:
            raise CannotFileAsIs(exc.message) from None
        return Draft(
            provider=provider.name,
            values=merged,
            filer=filer,
            context=ctx.with_provider(provider.name),
        )


def _files_field(provider: Provider, files: tuple[FileRef, ...]) -> FormField:
    choices = tuple(Choice(value=f.id, label=f"{f.name} ({size_text(f.size)})") for f in files[:10])
    return FormField(
        key=FILES_KEY,
        label="Attach the message's files",
        kind=FieldKind.CHECKBOXES,
        required=False,
        choices=choices,
        default=",".join(c.value for c in choices),
        hint=None
        if takes_attachments(provider)
        else f"{provider.title} does not take files; they will be listed in the ticket's "
        "thread instead.",
    )


async def _form_after_restart(provider: Provider) -> Form | None:
    """The form, looked up again: the bot restarted since the modal opened (a deploy), and the
    user's typing must not be lost for it. None if the provider does not give it (its own
    timeout bounds the call; the ack does not wait for it past the budget)."""
    try:
        return await provider.form()
    except TicketbotError:
        return None
