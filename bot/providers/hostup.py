"""HostUp (cloud.hostup.se API v2): JSON, bearer API key with scopes, RFC 7807 errors."""

from __future__ import annotations

import contextlib
import re
from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr

from bot.domain.errors import ConfigError, FeatureMissing, FieldErrors, TicketbotError
from bot.domain.forms import Choice, FieldKind, Form, FormField, Values
from bot.domain.tickets import (
    Attachment,
    NewTicket,
    Requester,
    StaffMessage,
    TicketRef,
    TicketStatus,
)
from bot.providers import fields
from bot.providers.adapter import (
    ATTACHMENTS,
    REPLIES,
    STATUS,
    TWIN_CHECK,
    BeforeSend,
    CredentialIsRequester,
    FormMemo,
    HttpAdapter,
    ListsTickets,
)
from bot.providers.base import FeatureOff, no_notice
from bot.providers.cache import Cached
from bot.providers.config import ProviderConfigBase
from bot.providers.http import json_body
from bot.providers.paging import ListQuery, PageRequest

PRIORITIES = ("low", "medium", "high", "urgent", "critical")
SERVICE_TYPES = ("domain", "hosting", "vps", "other")
CLOSED = "closed"

# NOTE: HostUp's 400 body points at JSON fields (RFC 6901); map them onto our form's keys.
POINTERS = {
    "/departmentSlug": "department",
    "/subject": "subject",
    "/message": "description",
    "/priority": "priority",
    "/criticalReason": "critical_reason",
    "/ccEmails": "cc",
    "/context/serviceType": "service_type",
    "/context/serviceId": "service_id",
    "/context/serviceName": "service_id",
}


class HostUpConfig(ProviderConfigBase):
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key",)

    kind: str = Field(pattern="^hostup$")
    api_key: SecretStr
    departments_cache_seconds: float = Field(default=300, ge=0)


def problem_detail(response: httpx.Response) -> str:
    body = json_body(response)
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body.get("code") or "")
    return response.reason_phrase


class HostUpProvider(CredentialIsRequester, ListsTickets, HttpAdapter[HostUpConfig]):
    # NOTE: hostup.txt: ids are public ids like tkt_01hxa3b4…, numbers "normally numeric".
    ticket_id = re.compile(r"[0-9]{1,20}|tkt_[0-9A-Za-z]{1,64}")
    """Files tickets at HostUp; the API key is the customer, so no requester id is sent."""

    created_key = "createdAt"  # where the ticket list says when each was filed
    default_title = "HostUp"
    owner = "account of the bot's API key"
    scope_hint = " The key needs the scopes write:support, read:support and read:account."
    accepts_attachments = True

    def __init__(
        self,
        config: HostUpConfig,
        client: httpx.AsyncClient,
        *,
        on_feature_off: FeatureOff = no_notice,
    ) -> None:
        super().__init__(config, client, problem_detail, on_feature_off=on_feature_off)
        self._departments: Cached[tuple[Choice, ...]] = Cached(
            self._load_departments, config.departments_cache_seconds
        )
        self._form = FormMemo(self._build_form)

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.config.api_key.get_secret_value()}",
            "Accept": "application/json",
        }

    async def _load_departments(self) -> tuple[Choice, ...]:
        response = await self._http.send(
            "GET", f"{self.config.url}/support/departments", headers=self._headers()
        )
        body = json_body(response)
        if response.status_code == 404 and not self.config.url.endswith("/api/v2"):
            raise ConfigError(
                f"providers.{self.name}.base_url",
                f"{self.title} answered 404 for the departments; the base URL must end in "
                "/api/v2, like https://cloud.hostup.se/api/v2",
            )
        if response.status_code != 200 or not isinstance(body, dict):
            raise self._http.unexpected(response, "departments list")
        items = body.get("departments")
        if not isinstance(items, list):
            raise self._http.unexpected(response, "no 'departments' list")
        return tuple(
            Choice(value=str(d["slug"]), label=str(d.get("displayName") or d["slug"])[:75])
            for d in items
            if isinstance(d, dict) and d.get("slug")
        )

    def cached_form(self) -> Form | None:
        departments = self._departments.stale
        return None if departments is None else self._form(departments)

    async def form(self) -> Form:
        return self._form(await self._departments.get())

    def _build_form(self, departments: tuple[Choice, ...]) -> Form:
        return Form(
            fields=(
                FormField(
                    key="department", label="Department", kind=FieldKind.SELECT, choices=departments
                ),
                fields.subject(max_length=255),
                fields.description(),
                fields.priority(PRIORITIES, default="medium"),
                FormField(
                    key="critical_reason",
                    label="Critical reason",
                    required=False,
                    kind=FieldKind.LONG_TEXT,
                    max_length=2000,
                    hint="Required with priority Critical: explain the customer impact.",
                ),
                FormField(
                    key="service_type",
                    label="Linked service type",
                    required=False,
                    kind=FieldKind.SELECT,
                    choices=fields.choices(SERVICE_TYPES),
                ),
                FormField(
                    key="service_id",
                    label="Linked service ID",
                    required=False,
                    max_length=100,
                    placeholder="vps_01hx…",
                    hint="The service's public ID (for Other: a name).",
                ),
                FormField(
                    key="cc",
                    label="CC e-mails",
                    required=False,
                    kind=FieldKind.EMAILS,
                    placeholder="ops@example.com, oncall@example.com",
                ),
            )
        )

    def check_values(self, values: Values) -> dict[str, str]:
        errors: dict[str, str] = {}
        if values.get("priority") == "critical" and not values.get("critical_reason"):
            errors["critical_reason"] = "Critical tickets need a reason: the customer impact."
        if values.get("service_id") and not values.get("service_type"):
            errors["service_type"] = "Pick the type of the linked service."
        if values.get("service_type") and not values.get("service_id"):
            errors["service_id"] = "Give the linked service's ID."
        return errors

    async def create(
        self, ticket: NewTicket, requester: Requester, *, before_send: BeforeSend | None = None
    ) -> TicketRef:
        body: dict[str, Any] = {
            "departmentSlug": ticket.text("department"),
            "subject": ticket.text("subject"),
            "message": ticket.text("description") + ticket.footer(),
            "priority": ticket.text("priority") or "medium",
        }
        if body["priority"] == "critical":
            body["criticalReason"] = ticket.text("critical_reason")
        if cc := ticket.items("cc"):
            body["ccEmails"] = list(cc)
        if service_type := ticket.text("service_type"):
            # NOTE: HostUp rejects top-level accountId; linked services go in `context`.
            key = "serviceName" if service_type == "other" else "serviceId"
            body["context"] = {"serviceType": service_type, key: ticket.text("service_id")}
        response = await self._http.send(
            "POST",
            f"{self.config.url}/support/tickets",
            headers=self._headers(),
            json=body,
            before_send=before_send,
            auth_errors=False,
        )
        if response.status_code == 400:
            raise self._field_errors(response)
        if response.status_code == 403 and "context" in body and _not_owner(response):
            # NOTE: the doc's 403 covers "does not own the resource": the linked service.
            raise FieldErrors(
                {
                    "service_id": f"{self.title} refused the linked service: the account does "
                    "not own it (check the service id), or the API key lacks write:support."
                }
            )
        if response.status_code in (401, 403):
            raise self._http.auth_error(response)
        data = json_body(response)
        if not 200 <= response.status_code < 300 or not isinstance(data, dict):
            raise self._http.unexpected(response, problem_detail(response) or "create failed")
        ticket_id = data.get("id")
        if not ticket_id:
            raise self._http.unexpected(response, "create answer lacks 'id'")
        # NOTE: the customer-facing number is `number` (optional in the doc); else the tkt_… id.
        number = data.get("number") or ticket_id
        attached, not_attached = await self._upload(str(ticket_id), ticket.attachments)
        return self.ticket_ref(
            str(ticket_id),
            str(number),
            attached=attached,
            not_attached=not_attached,
            status=str(data.get("status") or "open"),
        )

    async def attach(
        self, ref: TicketRef, files: tuple[Attachment, ...]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Files added to an existing ticket, as ``create`` adds them to a new one."""
        return await self._upload(ref.id, files)

    async def _upload(
        self, ticket_id: str, files: tuple[Attachment, ...]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Attach files to the new ticket; a failed upload never fails the ticket."""
        attached: list[str] = []
        failed: list[str] = []
        for file in files:
            if not self.has(ATTACHMENTS):
                failed.append(f"{file.name}: {self.title} takes no files through its API")
                continue
            # NOTE: files cannot go in the create body; POST /support/attachments with ticketId.
            try:
                response = await self._http.send(
                    "POST",
                    f"{self.config.url}/support/attachments",
                    headers=self._headers(),
                    files=[
                        ("file", (file.name, file.content, file.mime)),
                        ("ticketId", (None, ticket_id)),
                    ],
                )
            except TicketbotError as exc:
                failed.append(f"{file.name}: {exc.message}")
                continue
            with contextlib.suppress(FeatureMissing):  # NOTE: reported on the next turn
                self.missing(response, ATTACHMENTS)
            if 200 <= response.status_code < 300:
                attached.append(file.name)
            elif not self.has(ATTACHMENTS):
                failed.append(f"{file.name}: {self.title} takes no files through its API")
            else:
                failed.append(f"{file.name}: {problem_detail(response) or response.status_code}")
        return tuple(attached), tuple(failed)

    def _field_errors(self, response: httpx.Response) -> FieldErrors:
        body = json_body(response)
        found: dict[str, str] = {}
        general: list[str] = []
        items = body.get("errors") if isinstance(body, dict) else None
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            pointer, detail = str(item.get("pointer") or ""), str(item.get("detail") or "Invalid.")
            key = next(
                (k for p, k in POINTERS.items() if pointer == p or pointer.startswith(p + "/")),
                None,
            )
            if key:
                found.setdefault(key, detail)
            else:
                general.append(detail)
        if not found and not general:
            general.append(problem_detail(response) or "The ticket was rejected.")
        return FieldErrors(found, " ".join(general) or None)

    def _list_query(self, requester: Requester) -> ListQuery:
        """``GET /support/tickets``: the README's summary says cursor paging, limit 1-100;
        the reader follows whatever paging the answers carry (``bot.providers.paging``)."""
        return ListQuery(f"{self.config.url}/support/tickets", {}, size_param="limit", size=100)

    async def _list_page(self, request: PageRequest) -> tuple[httpx.Response, Any]:
        response = await self._http.send(
            "GET", request.url, headers=self._headers(), params=request.params
        )
        self.missing(response, TWIN_CHECK)
        data = json_body(response)
        if response.status_code != 200 or data is None:
            raise self._http.unexpected(response, problem_detail(response) or "list failed")
        return response, data

    def _ref(self, item: dict[str, Any]) -> TicketRef | None:
        ticket_id = item.get("id")
        if not ticket_id:
            return None
        number = str(item.get("number") or ticket_id)
        return self.ticket_ref(str(ticket_id), number, status=str(item.get("status") or "open"))

    async def get(self, ref: TicketRef) -> TicketStatus:
        response = await self._http.send(
            "GET", f"{self.config.url}/support/tickets/{self.item(ref)}", headers=self._headers()
        )
        self.missing(response, STATUS, per_item=ref)
        data = json_body(response)
        if response.status_code != 200 or not isinstance(data, dict):
            raise self._http.unexpected(response, problem_detail(response) or "get failed")
        status = str(data.get("status") or "unknown")
        messages = tuple(
            StaffMessage(
                id=str(m.get("id")),
                author=str(m.get("senderName") or "HostUp staff"),
                body=str(m.get("body") or ""),
            )
            for m in data.get("messages") or []
            if isinstance(m, dict) and m.get("sender") == "staff"
        )
        return TicketStatus(status=status, closed=status == CLOSED, messages=messages)

    async def reply(self, ref: TicketRef, text: str) -> None:
        response = await self._http.send(
            "POST",
            f"{self.config.url}/support/tickets/{self.item(ref)}/messages",
            headers=self._headers(),
            json={"message": text},
        )
        self.missing(response, REPLIES, per_item=ref)
        if response.status_code == 400:
            raise self._field_errors(response)
        if response.status_code != 201:
            raise self._http.unexpected(response, problem_detail(response) or "reply failed")

    async def probe(self) -> str:
        departments = await self._departments.get()
        return f"{len(departments)} departments"


def _not_owner(response: httpx.Response) -> bool:
    return "does not own" in (problem_detail(response) or "").lower()
