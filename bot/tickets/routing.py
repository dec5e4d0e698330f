"""Channel routes at work: the defaults a routed channel fills in, checked against the
provider's form, and what the bot does with an alert's later messages there."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.errors import ConfigError, TicketbotError
from bot.domain.forms import FieldKind, FieldValue, Form
from bot.domain.routes import Route
from bot.providers.base import Provider
from bot.tickets.forms import check_form

FORM_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class AlertPolicy:
    follow: bool
    comment_on_resolve: bool
    comment_on_refire: bool


def alert_policy(
    route: Route | None, *, follow: bool, comment_on_resolve: bool, comment_on_refire: bool
) -> AlertPolicy:
    """The ``[ticketbot]`` settings, with what the channel's route says instead."""

    def pick(own: bool | None, default: bool) -> bool:
        return default if own is None else own

    if route is None:
        return AlertPolicy(follow, comment_on_resolve, comment_on_refire)
    return AlertPolicy(
        pick(route.follow_alerts, follow),
        pick(route.comment_on_resolve, comment_on_resolve),
        pick(route.comment_on_refire, comment_on_refire),
    )


def route_values(
    route: Route | None, provider: str | None, form: Form | None
) -> dict[str, FieldValue]:
    """The route's defaults as form values, when the form is its provider's."""
    if route is None or provider != route.provider:
        return {}
    values: dict[str, FieldValue] = {}
    for key, text in route.defaults.items():
        field = form.field(key) if form is not None else None
        if field is not None and field.kind in (FieldKind.CHECKBOXES, FieldKind.EMAILS):
            values[key] = tuple(part.strip() for part in text.split(",") if part.strip())
        else:
            values[key] = text
    return values


def defaults_problems(n: int, route: Route, title: str, form: Form) -> list[ConfigError]:
    """One error per default the provider's form does not have or would not take."""
    problems: list[ConfigError] = []
    names = ", ".join(f.key for f in form.fields)
    values = route_values(route, route.provider, form)
    for key in route.defaults:
        where = f"routes[{n}].defaults.{key}"
        field = form.field(key)
        if field is None:
            problems.append(
                ConfigError(where, f"{title}'s form has no field {key!r}; it has {names}")
            )
            continue
        single = form.model_copy(update={"fields": (field.model_copy(update={"required": False}),)})
        if message := check_form(single, values).get(key):
            if field.kind in (FieldKind.SELECT, FieldKind.CHECKBOXES) and field.choices:
                offered = ", ".join(c.value for c in field.choices[:12])
                more = ", …" if len(field.choices) > 12 else ""
                message = (
                    f"{route.defaults[key]!r} is not one of {title}'s "
                    f"{field.label.lower()} values: {offered}{more}"
                )
            problems.append(ConfigError(where, message))
    return problems


async def check_routes(
    routes: tuple[Route, ...], providers: Mapping[str, Provider]
) -> tuple[list[ConfigError], list[str]]:
    """Every route's defaults against its provider's form (looked up, ``FORM_WAIT_SECONDS``
    at most); returns the problems, and the providers whose form could not be had (their
    defaults are checked again whenever a form is shown: a value the form lacks is left out)."""
    problems: list[ConfigError] = []
    unchecked: list[str] = []
    needed = {route.provider for route in routes if route.defaults and route.provider in providers}

    async def form_of(name: str) -> Form | None:
        try:
            return await asyncio.wait_for(providers[name].form(), FORM_WAIT_SECONDS)
        except (TimeoutError, TicketbotError):
            return None

    forms = dict(zip(needed, await asyncio.gather(*(form_of(n) for n in needed)), strict=True))
    for n, route in enumerate(routes):
        form = forms.get(route.provider)
        if not route.defaults or route.provider not in providers:
            continue
        if form is None:
            unchecked.append(route.provider)
            continue
        problems += defaults_problems(n, route, providers[route.provider].title, form)
    return problems, sorted(set(unchecked))
