"""Pulse CRM (merchant-crm.txt): log in for a token, then JSON with ``x-account-id``.

Traps: seven requester types; for ``user`` the requesterId is the user's e-mail; ``external``
needs requesterName and requesterEmail; ``category`` and ``source`` are closed enums; the human
number is ``ticketNumber``; error bodies are not documented.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, SecretStr, field_validator, model_validator

from bot.domain.errors import FeatureMissing, FieldErrors
from bot.domain.forms import FieldKind, Form, FormField, Values
from bot.domain.tickets import Filer, NewTicket, Requester, RequesterSource, TicketRef, TicketStatus
from bot.providers import fields
from bot.providers.adapter import (
    REPLIES,
    STATUS,
    TWIN_CHECK,
    BeforeSend,
    ListsTickets,
    StaticForm,
    TokenLogin,
)
from bot.providers.base import FeatureOff, no_notice
from bot.providers.config import ProviderConfigBase
from bot.providers.http import field_errors, json_body, token_from
from bot.providers.paging import ListQuery, PageRequest

CATEGORIES = (
    "technical",
    "billing",
    "account",
    "compliance",
    "feature_request",
    "underwriting",
    "general_support",
    "general_forms",
    "retention",
    "activations",
    "fee_change_forms",
    "bank_submissions",
)
PRIORITIES = ("low", "medium", "high", "urgent")
CLOSED = {"resolved", "closed"}
RequesterType = Literal[
    "application", "lead", "user", "merchant", "merchant-internal", "mid", "external"
]
API_FIELDS = {
    "subject": "subject",
    "description": "description",
    "category": "category",
    "priority": "priority",
}


PAGE_SIZE = 50  # tickets per page when looking for a twin


class PulseConfig(ProviderConfigBase):
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key", "api_secret")

    kind: str = Field(pattern="^pulse$")
    api_key: SecretStr
    api_secret: SecretStr
    account_id: str = Field(min_length=1, description="Sent as x-account-id on every call.")
    categories: tuple[str, ...] = CATEGORIES
    default_category: str = "technical"
    requester_type: RequesterType = "user"
    ticket_type_id: str | None = None
    tags: tuple[str, ...] = ("slack",)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(value) - set(CATEGORIES)
        if unknown or not value:
            raise ValueError(f"must be some of {', '.join(CATEGORIES)}")
        return value

    @model_validator(mode="after")
    def _default_is_offered(self) -> PulseConfig:
        if self.default_category not in self.categories:
            raise ValueError(
                f"default_category: must be one of the categories the form offers "
                f"({', '.join(self.categories)})"
            )
        return self


def error_detail(response: httpx.Response) -> str:
    # NOTE: Pulse documents no error body; read the usual shapes, else the status phrase.
    body = json_body(response)
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return response.reason_phrase


class PulseProvider(StaticForm, ListsTickets, TokenLogin[PulseConfig]):
    # NOTE: merchant-crm.txt: ``id`` is an integer, ``ticketNumber`` reads like TKT-12345.
    ticket_id = re.compile(r"[0-9]{1,20}|[A-Za-z]{1,10}-[0-9]{1,20}")
    ticket_id_example = "TKT-12345"
    created_key = "createdAt"  # where the ticket list says when each was filed
    default_title = "Pulse CRM"
    scope_hint = " The API user needs permission to create tickets."

    def __init__(
        self,
        config: PulseConfig,
        client: httpx.AsyncClient,
        *,
        on_feature_off: FeatureOff = no_notice,
    ) -> None:
        super().__init__(config, client, error_detail, token=None, on_feature_off=on_feature_off)
        self._form = self._build_form()  # NOTE: static: built once

    def _headers(self) -> dict[str, str]:
        return {"x-account-id": self.config.account_id, "Accept": "application/json"}

    async def _fetch_token(self) -> str:
        response = await self._http.send(
            "POST",
            f"{self.config.url}/auth/login",
            json={
                "apiKey": self.config.api_key.get_secret_value(),
                "apiSecret": self.config.api_secret.get_secret_value(),
            },
        )
        token = token_from(json_body(response))
        if response.status_code not in (200, 201) or not token:
            raise self._http.unexpected(response, "login answer has no token")
        return token

    def requester_id_problem(self, requester_id: str) -> str | None:
        if self.config.requester_type in ("user", "external") and "@" not in requester_id:
            return (
                f"{self.title} files `{self.config.requester_type}` requesters by e-mail "
                "address; link an e-mail."
            )
        return None

    def default_requester(self, filer: Filer) -> Requester | None:
        if self.config.requester_type not in ("user", "external"):
            return None  # merchant/lead/… ids need a link
        label = filer.email or "your Slack e-mail address"
        return Requester(
            id=filer.email,
            label=f"{label} ({self.config.requester_type})",
            source=RequesterSource.EMAIL_MATCH,
        )

    def _build_form(self) -> Form:
        return Form(
            fields=(
                fields.subject(max_length=255),
                fields.description(label="Description"),
                FormField(
                    key="category",
                    label="Category",
                    kind=FieldKind.SELECT,
                    choices=fields.choices(self.config.categories),
                    default=self.config.default_category,
                ),
                fields.priority(PRIORITIES, default="medium"),
            )
        )

    def check_values(self, values: Values) -> dict[str, str]:
        return {}

    async def create(
        self, ticket: NewTicket, requester: Requester, *, before_send: BeforeSend | None = None
    ) -> TicketRef:
        kind = self.config.requester_type
        requester_id = requester.id or ticket.filer.email
        if not requester_id:
            raise FieldErrors(
                {},
                f"{self.title} files as you by your e-mail address, and your "
                "Slack profile shows none. Ask an admin to link you.",
            )
        body: dict[str, Any] = {
            "subject": ticket.text("subject"),
            "description": ticket.text("description") + ticket.footer(),
            "category": ticket.text("category") or self.config.default_category,
            "priority": ticket.text("priority") or "medium",
            "source": "api",
            "requesterId": requester_id,
            "requesterType": kind,
            "tags": list(self.config.tags),
        }
        if kind == "external":  # NOTE: only `external` takes (and requires) name and e-mail
            if not ticket.filer.email:
                raise FieldErrors({}, "Your Slack profile shows no e-mail address.")
            body |= {"requesterName": ticket.filer.name, "requesterEmail": ticket.filer.email}
        if self.config.ticket_type_id:
            body["ticketTypeId"] = self.config.ticket_type_id
        response = await self._call("POST", "/tickets", json=body, before_send=before_send)
        data = self._read(response, (200, 201))
        number, ticket_id = data.get("ticketNumber"), data.get("id")
        if not number or ticket_id is None:
            raise self._http.unexpected(response, "create answer lacks 'id' or 'ticketNumber'")
        return self.ticket_ref(
            str(ticket_id), str(number), status=str(data.get("status") or "open")
        )

    def _read(self, response: httpx.Response, ok: tuple[int, ...]) -> dict[str, Any]:
        data = json_body(response)
        if response.status_code == 400:
            raise self._field_errors(data, response)
        if response.status_code not in ok or not isinstance(data, dict):
            raise self._http.unexpected(response, error_detail(response))
        return data

    def _field_errors(self, data: Any, response: httpx.Response) -> FieldErrors:
        errors = data.get("errors") if isinstance(data, dict) else None
        return field_errors(errors, API_FIELDS, error_detail(response))

    def _list_query(self, requester: Requester) -> ListQuery:
        """``GET /tickets`` (page, pageSize); its answer's paging is not documented."""
        return ListQuery(f"{self.config.url}/tickets", {}, size_param="pageSize", size=PAGE_SIZE)

    async def _list_page(self, request: PageRequest) -> tuple[httpx.Response, Any]:
        response = await self._call("GET", request.url, params=request.params)
        self.missing(response, TWIN_CHECK)
        data = json_body(response)
        if response.status_code != 200 or data is None:
            raise self._http.unexpected(response, error_detail(response))
        return response, data

    def _ref(self, item: dict[str, Any]) -> TicketRef | None:
        if item.get("id") is None or not item.get("ticketNumber"):
            return None
        return self.ticket_ref(
            str(item["id"]), str(item["ticketNumber"]), status=str(item.get("status") or "open")
        )

    async def get(self, ref: TicketRef) -> TicketStatus:
        response = await self._call("GET", f"/tickets/{self.item(ref)}")
        self.missing(response, STATUS, per_item=ref)
        data = self._read(response, (200,))
        status = str(data.get("status") or "open")
        return TicketStatus(status=status, closed=status in CLOSED)

    async def reply(self, ref: TicketRef, text: str) -> None:
        response = await self._call(
            "POST",
            f"/tickets/{self.item(ref)}/comments",
            json={"content": text, "isInternal": False},
        )
        self.missing(response, REPLIES, per_item=ref)
        self._read(response, (200, 201))

    async def probe(self) -> str:
        response = await self._call("GET", "/tickets", params={"page": 1, "pageSize": 1})
        try:
            # NOTE: GET /tickets is not in the create call's doc: where it is not there, the
            # login still proved the credentials; the twin check is off (``check`` says ⚠)
            self.missing(response, TWIN_CHECK)
        except FeatureMissing:
            return "logged in (its ticket list is not there)"
        self._read(response, (200,))
        return "logged in, tickets readable"
