"""The one error family every layer raises from.

Three branches decide what happens next (see ARCHITECTURE.md, "The adapter seam"):

* ``UserFixable``: the person filing can fix it (a field, a permission, a missing link);
* ``AdminFixable``: an admin must fix it (credentials, scopes, configuration);
* ``Transient``: time fixes it (timeouts, connection errors, 5xx, 429). Only these are retried.

Messages are written for the person who will read them and never contain secrets.
"""

from __future__ import annotations

from collections.abc import Mapping


class TicketbotError(Exception):
    """Base of every error ticketbot raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- what the user can fix -------------------------------------------------------------------


class UserFixable(TicketbotError):
    """The person who asked can fix this."""


class FieldErrors(UserFixable):
    """Input was rejected; ``fields`` maps form field keys to messages.

    ``general`` holds rejections that name no field the form shows.
    """

    def __init__(self, fields: Mapping[str, str], general: str | None = None) -> None:
        self.fields = dict(fields)
        self.general = general
        parts = [f"{key}: {text}" for key, text in self.fields.items()]
        if general:
            parts.append(general)
        super().__init__("; ".join(parts) or "The provider rejected the ticket.")


class NoSuchTicket(UserFixable):
    """That ticket cannot be read or answered: the value is not one of the provider's ticket
    ids (refused before any request), or the provider said 404 for a ticket entered by hand.
    About that ticket only: no provider feature goes off for it."""


class NotAllowed(UserFixable):
    """The user may not do this (admin-only command, channel not allowed, …)."""


class UnknownProvider(UserFixable):
    """The user named a provider that is not configured."""


# --- what an admin must fix --------------------------------------------------------------------


class AdminFixable(TicketbotError):
    """An admin must fix this; ``admin_detail`` is safe to show to admins only."""

    def __init__(self, message: str, admin_detail: str = "") -> None:
        super().__init__(message)
        self.admin_detail = admin_detail


class ConfigError(AdminFixable):
    """The settings or providers file is wrong: ``key`` names what and where."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config error: {key}: {problem}", admin_detail=f"{key}: {problem}")
        self.key = key
        self.problem = problem


class ConfigErrors(ConfigError):
    """Every problem found in the configuration at once; ``message`` has one line each."""

    def __init__(self, problems: list[ConfigError]) -> None:
        super().__init__(problems[0].key, problems[0].problem)
        self.problems = problems
        self.message = "\n".join(problem.message for problem in problems)


class DatabaseUnusable(ConfigError):
    """The database cannot be opened, written or read as ticketbot's (at start)."""

    def __init__(self, problem: str) -> None:
        super().__init__("TICKETBOT_DB", problem)


class StoreUnavailable(TicketbotError):
    """The database did not take a write (locked, unreachable); nothing was lost yet."""


class ProviderAuthError(AdminFixable):
    """The provider refused our credentials (401) or their permissions (403)."""


class ProviderProtocolError(AdminFixable):
    """The provider answered something its documentation does not allow."""


# --- what time fixes ---------------------------------------------------------------------------


class Transient(TicketbotError):
    """Worth retrying later; ``retry_after`` is the provider's wish in seconds, if it said one.

    ``maybe_created``: the request had been sent and no answer we can trust came back (a
    timeout, a reset, a gateway's 502/503/504), so the provider may have acted on it: retrying
    blindly could file a twin.
    """

    maybe_created: bool = False
    detail: str = ""  # for operators: what was tried and why it failed (never a secret)

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderUnavailable(Transient):
    """Connection refused, or a 5xx. From a gateway (502/503/504) after a write was sent, the
    provider behind it may have acted: ``maybe_created``."""

    def __init__(self, message: str, *, maybe_created: bool = False) -> None:
        super().__init__(message)
        self.maybe_created = maybe_created


class RateLimited(Transient):
    """429: wait ``retry_after`` seconds."""


class ProviderTimeout(Transient):
    """No answer in time (``maybe_created`` when the request had been sent)."""

    def __init__(self, message: str, *, maybe_created: bool) -> None:
        super().__init__(message)
        self.maybe_created = maybe_created


class FeatureMissing(TicketbotError):
    """An endpoint beyond the documented create call is not there (404/405): the feature it
    serves (a twin look-up, status, replies, files) is off for that provider; filing is not."""


class AlreadyRecorded(TicketbotError):
    """Another submission recorded that provider ticket first (two twin checks took the same
    candidate at once)."""


class CannotTell(TicketbotError):
    """Whether an earlier, unanswered attempt filed the ticket cannot be found out: the
    provider lists no tickets, or the look-up failed or was cut short. A person must check."""
