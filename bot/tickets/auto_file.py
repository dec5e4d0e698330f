"""Filing without a form (a reaction in a route with ``on_emoji = "file"``, a workflow step):
the values must pass the same checks as a submitted form; what they lack is said plainly."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.drafts import Draft, ModalContext
from bot.domain.errors import CannotFileAsIs
from bot.domain.forms import FieldKind, FieldValue, Form
from bot.domain.routes import Route
from bot.domain.tickets import Filer
from bot.providers.base import Provider
from bot.tickets.filing import FILES_KEY
from bot.tickets.forms import check_form
from bot.tickets.links import LinkService
from bot.tickets.prefill import fit_to_form
from bot.tickets.requesters import NotLinked
from bot.tickets.routing import route_values


def form_defaults(form: Form) -> dict[str, FieldValue]:
    """The values the modal opens with: each field's default (the provider's config's)."""
    found: dict[str, FieldValue] = {}
    for field in form.fields:
        if not field.default:
            continue
        multi = field.kind in (FieldKind.CHECKBOXES, FieldKind.EMAILS)
        found[field.key] = tuple(field.default.split(",")) if multi else field.default
    return found


async def checked_draft(
    provider: Provider,
    links: LinkService,
    *,
    filer: Filer,
    ctx: ModalContext,
    values: Mapping[str, FieldValue],
    route: Route | None,
) -> Draft:
    """A draft of ``values`` (the route's defaults under them, the message's files attached)
    that the provider's form accepts, filed as ``filer``; ``CannotFileAsIs`` if there is none."""
    form: Form = await provider.form()
    merged = fit_to_form(form, {**route_values(route, provider.name, form), **values}, ctx.severity)
    merged = {**form_defaults(form), **merged}  # NOTE: what the modal shows before any edit
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
        await links.requester(provider, filer)
    except NotLinked as exc:
        raise CannotFileAsIs(exc.message) from None
    return Draft(
        provider=provider.name, values=merged, filer=filer, context=ctx.with_provider(provider.name)
    )
