"""The one error family every layer raises from.

Our exception hierarchy (classes defined elsewhere name their module):

* TicketbotError - raised on purpose; ``message`` is for the person who reads it.
  x UserFixable - the person filing can fix it.
    + FieldErrors - input rejected; field key -> message, or a general line.
    + NoSuchTicket - not one of the provider's ticket ids, or a 404 for one typed by hand.
    + NotAllowed - the user may not do this (admin-only, channel not allowed, ...).
    + UnknownProvider - the user named a provider that is not configured.
    + CannotFileAsIs - a reaction's or a step's values are not enough to file without the form.
    + FormUnavailable - the provider's form, to check a submit against, did not come in time.
    + NotLinked (tickets/requesters.py) - no requester at the provider, and no default.
    + ForeignModal (slack/modals.py) - a view the bot did not open for this user.
  x AdminFixable - an admin must fix it; ``admin_detail`` is for admins only.
    + ConfigError - the settings or providers file is wrong at ``key``.
      - ConfigErrors - every configuration problem at once, one line each.
      - DatabaseUnusable - the database cannot be opened, written or read as ours (at start).
      - TokenRefused (slack/socket_mode.py) - Slack refused the app-level token.
    + ProviderAuthError - the provider refused our credentials (401) or permissions (403).
    + ProviderProtocolError - the provider answered what its documentation does not allow.
  x Transient - time fixes it; the only branch retried. ``maybe_created``: it may have acted.
    + ProviderUnavailable - connection refused, dropped, or a 5xx.
    + RateLimited - 429; wait ``retry_after`` seconds.
    + ProviderTimeout - no answer in time.
  x Internal - ours to decide on: the service that catches it turns it into an outcome.
    + StoreUnavailable - the database did not take a write; nothing was lost yet.
    + FeatureMissing - an optional provider endpoint is not there (404/405): the feature is off.
    + AlreadyRecorded - another submission recorded that provider ticket first.
    + CannotTell - whether an unanswered attempt filed the ticket cannot be found out.
  x LinksFailure (links_cli.py) - ``ticketbot links`` could not run; one line and an exit code.
* Signal - a hand-off between two functions of ours, never shown or retried as such.
  x TooBig (safe_http.py) - an answer passed its byte cap while being read.
  x UnreadableList (providers/paging.py) - an answer holds no list the reader can find.
  x DownloadRefused (slack/files.py) - Slack answered something other than the file.
  x NotClaimed, _FiledMeanwhile, _ClaimLost (tickets/attempts.py) - one filing attempt's exits.
  x CardRefused (tickets/outcomes.py) - Slack would not take a filed ticket's card now: owed.

The branch decides what happens next (see ARCHITECTURE.md, "The adapter seam"):
``UserFixable`` and ``AdminFixable`` say who must act; only ``Transient`` is retried;
``Internal`` is caught by the service that knows what it means. ``Signal`` is not a
``TicketbotError``, so no broad ``except TicketbotError`` on its way takes it by mistake.

Outside on purpose: ``NotSlack`` and ``AnswerTooBig`` (slack/outbound.py) extend
``aiohttp.ClientError``, so the Slack SDK treats them as the transport failures they are.

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


class CannotFileAsIs(UserFixable):
    """The values are not enough to file without the form (a reaction in a file-at-once
    route, a Workflow Builder step); the message says what a person must add."""


class FormUnavailable(UserFixable):
    """The provider's form did not come in time to check a submit against (a modal opened
    before this process started); submitting again, what was typed kept, may do."""


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


# --- what a service of ours decides on --------------------------------------------------------


class Internal(TicketbotError):
    """Ours to decide on: the service that catches it turns it into an outcome (a feature off,
    a park, a person asked to check, a write kept for later)."""


class StoreUnavailable(Internal):
    """The database did not take a write (locked, unreachable); nothing was lost yet."""


class FeatureMissing(Internal):
    """An endpoint beyond the documented create call is not there (404/405): the feature it
    serves (a twin look-up, status, replies, files) is off for that provider; filing is not."""


class AlreadyRecorded(Internal):
    """Another submission recorded that provider ticket first (two twin checks took the same
    candidate at once)."""


class CannotTell(Internal):
    """Whether an earlier, unanswered attempt filed the ticket cannot be found out: the
    provider lists no tickets, or the look-up failed or was cut short. A person must check."""


# --- not errors: hand-offs between two functions of ours ---------------------------------------


class Signal(Exception):
    """Raised by one function of ours for its caller to catch and turn into an outcome; never
    shown or retried as such. Not a ``TicketbotError``: no broad handler takes it by mistake."""
