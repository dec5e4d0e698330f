"""What every HTTP adapter shares, so an adapter module is only its provider's API."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

import httpx

from bot.providers.base import Filer, Form, Requester, RequesterSource
from bot.providers.http import DetailReader, ProviderHttp
from bot.settings import ProviderConfigBase

C = TypeVar("C", bound=ProviderConfigBase)
K = TypeVar("K")


class HttpAdapter(Generic[C]):
    """Config, the shared HTTP helper, and the adapter's name and title."""

    default_title: ClassVar[str]
    scope_hint: ClassVar[str] = ""

    def __init__(self, config: C, client: httpx.AsyncClient, detail: DetailReader) -> None:
        self.config = config
        self._http = ProviderHttp(
            client,
            title=self.title,
            timeout=config.timeout_seconds,
            max_connections=config.max_connections,
            detail=detail,
            scope_hint=self.scope_hint,
        )

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def title(self) -> str:
        return self.config.title or self.default_title


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
