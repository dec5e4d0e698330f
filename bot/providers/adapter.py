"""What every HTTP adapter shares, so an adapter module is only its provider's API.

Endpoints beyond the documented create call are optional: a 404/405 from one turns the
feature it serves off for that provider (``missing``), logged once and reported once through
the ``FeatureOff`` hook the adapter was built with; filing never depends on them
(docs/providers.md has the table).
"""

from __future__ import annotations

import asyncio
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import quote

import httpx

from bot.domain.errors import FeatureMissing, NoSuchTicket
from bot.domain.forms import Form
from bot.domain.tickets import Filer, NewTicket, Requester, RequesterSource, TicketRef
from bot.providers.base import REPLIES as REPLIES  # the adapters take them from here
from bot.providers.base import STATUS as STATUS
from bot.providers.base import BeforeSend as BeforeSend
from bot.providers.base import FeatureOff, no_notice
from bot.providers.config import ProviderConfigBase
from bot.providers.http import DetailReader, ProviderHttp
from bot.providers.paging import FetchPage, ListQuery, read_pages
from bot.providers.twins import find_twin

C = TypeVar("C", bound=ProviderConfigBase)
K = TypeVar("K")
log = logging.getLogger(__name__)
ABSENT = frozenset({404, 405})

# The features endpoints beyond the create call serve (docs/providers.md).
TWIN_CHECK = "ticket list (twin check)"
ATTACHMENTS = "attachments"
CUSTOMER_SEARCH = "customer search by e-mail"


class HttpAdapter(Generic[C]):
    """Config, the shared HTTP helper, and the adapter's name and title."""

    default_title: ClassVar[str]
    scope_hint: ClassVar[str] = ""
    # NOTE: what the provider's ticket ids and customer-facing numbers look like (its doc in
    # docs/providers.md); anything else is refused before it can reach a path or a query.
    ticket_id: ClassVar[re.Pattern[str]] = re.compile(r"[0-9]{1,20}")
    ticket_id_example: ClassVar[str] = "10001"

    def __init__(
        self,
        config: C,
        client: httpx.AsyncClient,
        detail: DetailReader,
        *,
        on_feature_off: FeatureOff = no_notice,
    ) -> None:
        self.config = config
        self._http = ProviderHttp(
            client,
            base_url=config.url,
            title=self.title,
            timeout=config.timeout_seconds,
            max_connections=config.max_connections,
            detail=detail,
            scope_hint=self.scope_hint,
        )
        self.features_off: dict[str, str] = {}  # feature → what said it is not there
        self._on_feature_off = on_feature_off

    def ticket_id_problem(self, value: str) -> str | None:
        if self.ticket_id.fullmatch(value):
            return None
        return (
            f"That is not a {self.title} ticket number: type it as {self.title} shows it, "
            f"like {self.ticket_id_example}."
        )

    def item(self, ref: TicketRef) -> str:
        """``ref``'s id, ready for a path: checked against what this provider's ids look like
        and percent-encoded; ``NoSuchTicket`` (and no request) for anything else."""
        if self.ticket_id_problem(ref.id) is not None:
            raise NoSuchTicket(f"#{ref.number[:60]} is not a {self.title} ticket id.")
        return quote(ref.id, safe="")

    def missing(
        self,
        response: httpx.Response,
        feature: str,
        also: Iterable[int] = (),
        per_item: TicketRef | None = None,
    ) -> None:
        """``FeatureMissing`` (and ``feature`` off from now on) when ``response`` says the
        endpoint is not there: 404/405, or ``also`` (a 403 for a key limited to one part).

        ``per_item``: the ticket the path names, so a 404 the provider wrote (JSON) is about
        that ticket; only a server's bare 404 (no JSON) says the endpoint is missing, and
        only for a ticket the provider itself gave: a number a person typed may simply not
        exist, and must not turn a feature off for everyone (``NoSuchTicket``).
        """
        status = response.status_code
        if status not in ABSENT and status not in also:
            return
        about_item = per_item is not None and (_is_json(response) or per_item.entered_by_hand)
        if status == 404 and per_item is not None and about_item:
            raise NoSuchTicket(f"{self.title} has no ticket #{per_item.number[:60]}.")
        request = response.request
        why = f"{request.method} {request.url.path} answered HTTP {response.status_code}"
        if feature not in self.features_off:
            self.features_off[feature] = why
            log.warning(
                "a feature is off: its endpoint is not there",
                extra={"provider": self.name, "feature": feature, "why": why},
            )
            self._on_feature_off(self.title, feature, why)
        raise FeatureMissing(f"{self.title} has no {feature} ({why})")

    def ticket_ref(
        self,
        ticket_id: str,
        number: str,
        *,
        status: str,
        attached: tuple[str, ...] = (),
        not_attached: tuple[str, ...] = (),
    ) -> TicketRef:
        """A ticket this provider answered with, linked through ``ticket_url`` if configured."""
        return TicketRef(
            provider=self.name,
            id=ticket_id,
            number=number,
            url=self.config.link_for(ticket_id, number),
            status=status,
            attached=attached,
            not_attached=not_attached,
        )

    def has(self, feature: str) -> bool:
        """Whether ``feature`` is on (its endpoint has not answered that it is missing)."""
        return feature not in self.features_off

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def title(self) -> str:
        return self.config.title or self.default_title


class TokenLogin(HttpAdapter[C], ABC):
    """A bearer token got by logging in: one login at a time, renewed once when a call is
    refused with 401 (tokens expire). Adapters give the login request (``_fetch_token``)."""

    def __init__(
        self,
        config: C,
        client: httpx.AsyncClient,
        detail: DetailReader,
        token: str | None,
        *,
        on_feature_off: FeatureOff = no_notice,
    ) -> None:
        super().__init__(config, client, detail, on_feature_off=on_feature_off)
        self._token = token
        self._login_lock = asyncio.Lock()

    @abstractmethod
    async def _fetch_token(self) -> str:
        """Log in; the new token."""

    def _can_renew(self) -> bool:
        return True

    def _headers(self) -> dict[str, str]:
        """Headers every call carries besides the token."""
        return {"Accept": "application/json"}

    async def _login(self, stale: str | None) -> str:
        async with self._login_lock:
            if self._token is not None and self._token != stale:
                return self._token  # another request logged in meanwhile
            self._token = await self._fetch_token()
            return self._token

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An authenticated call; logs in first, and once more if the token was refused."""
        token = self._token or await self._login(None)
        for attempt in (1, 2):
            response = await self._http.send(
                method,
                path if path.startswith(("http://", "https://")) else f"{self.config.url}{path}",
                headers={"Authorization": f"Bearer {token}", **self._headers()},
                auth_errors=False,
                **kwargs,
            )
            if response.status_code == 401 and attempt == 1 and self._can_renew():
                token = await self._login(token)
                continue
            if response.status_code in (401, 403):
                raise self._http.auth_error(response)
            return response
        raise AssertionError("unreachable")


def _is_json(response: httpx.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


class ListsTickets:
    """For providers with a ticket list: the twin check (``bot.providers.twins``) over its
    pages, read as the answers say to page (``bot.providers.paging``)."""

    created_key: ClassVar[str]
    title: str
    # NOTE: each adapter that lists tickets has these: its list's first request, one page's
    # answer, and a ticket ref per item
    _list_query: Callable[[Requester], ListQuery]
    _list_page: FetchPage
    _ref: Callable[[dict[str, Any]], TicketRef | None]

    async def find_recent(
        self, ticket: NewTicket, requester: Requester, since: float
    ) -> list[TicketRef]:
        return await find_twin(
            read_pages(self._list_page, self._list_query(requester)),
            title=self.title,
            subject=ticket.text("subject"),
            since=since,
            created_key=self.created_key,
            ref_of=self._ref,
            reference=ticket.reference,
        )


class CredentialIsRequester:
    """For providers whose API credential belongs to one customer: every ticket is filed as
    that customer, so there is no requester to link (HostUp, ISPCRM subscribers, VPSBG)."""

    owner: ClassVar[str] = "account of the bot's credentials"
    title: str

    def requester_id_problem(self, requester_id: str) -> str | None:
        return f"{self.title} files every ticket as the {self.owner}; there is nothing to link."

    def default_requester(self, filer: Filer) -> Requester | None:
        return Requester(
            id=None, label=f"the {self.title} {self.owner}", source=RequesterSource.TOKEN_OWNER
        )


class StaticForm:
    """For providers whose form needs no look-up: built once, at start."""

    _form: Form

    def cached_form(self) -> Form:
        return self._form

    async def form(self) -> Form:
        return self._form


class FormMemo(Generic[K]):
    """A form built once per look-up result (departments, subjects), not once per request."""

    def __init__(self, build: Callable[[K], Form]) -> None:
        self._build = build
        self._last: tuple[K, Form] | None = None

    def __call__(self, looked_up: K) -> Form:
        if self._last is None or self._last[0] is not looked_up:
            self._last = (looked_up, self._build(looked_up))
        return self._last[1]
