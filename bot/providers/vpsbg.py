"""VPSBG API v1 (vpsbg.txt, in beta): multipart/form-data, ``Accept: application/json``.

Traps: create is multipart, not JSON; subject 3–255 characters, message at least 5;
``service_type`` values differ between request (hosting, server) and response; create answers
200 with the whole ticket; 422 validation, 423 locked, 429 with rate-limit headers. The get-
ticket and departments paths are not public, so departments come from config and status is
not read.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr

from bot.domain.errors import AdminFixable, FieldErrors
from bot.domain.forms import FieldKind, Form, FormField, Values
from bot.domain.tickets import NewTicket, Requester, TicketRef
from bot.providers import fields
from bot.providers.adapter import (
    REPLIES,
    BeforeSend,
    CredentialIsRequester,
    HttpAdapter,
    StaticForm,
)
from bot.providers.base import FeatureOff, no_notice
from bot.providers.config import ProviderConfigBase
from bot.providers.http import field_errors, json_body

SERVICE_TYPES = ("hosting", "server")  # NOTE: request vocabulary; responses may differ
API_FIELDS = {
    "department_id": "department",
    "subject": "subject",
    "message": "description",
    "service_id": "service_id",
    "service_type": "service_type",
}


class VpsbgConfig(ProviderConfigBase):
    secret_fields: ClassVar[tuple[str, ...]] = ("token",)

    kind: str = Field(pattern="^vpsbg$")
    token: SecretStr
    departments: dict[str, int] = Field(min_length=1, description="Department name → id.")


def error_detail(response: httpx.Response) -> str:
    body = json_body(response)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return response.reason_phrase


def multipart(fields_: dict[str, str]) -> list[tuple[str, tuple[None, str]]]:
    """Plain fields as multipart parts: httpx sends multipart only when it has "files"."""
    return [(name, (None, value)) for name, value in fields_.items()]


class VpsbgProvider(CredentialIsRequester, StaticForm, HttpAdapter[VpsbgConfig]):
    default_title = "VPSBG"
    owner = "account of the bot's token"
    scope_hint = " The token must be of kind Write."
    accepts_attachments = True

    def __init__(
        self,
        config: VpsbgConfig,
        client: httpx.AsyncClient,
        *,
        on_feature_off: FeatureOff = no_notice,
    ) -> None:
        super().__init__(config, client, error_detail, on_feature_off=on_feature_off)
        self._form = self._build_form()  # NOTE: static: built once

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.config.token.get_secret_value()}",
            "Accept": "application/json",
        }  # NOTE: required, or errors come back as HTML

    def _build_form(self) -> Form:
        departments = {name: name for name in self.config.departments}
        return Form(
            fields=(
                FormField(
                    key="department",
                    label="Department",
                    kind=FieldKind.SELECT,
                    choices=fields.choices(departments),
                    default=next(iter(departments)),
                ),
                fields.subject(min_length=3, max_length=255),
                fields.description(min_length=5),
                FormField(
                    key="service_type",
                    label="Related service type",
                    required=False,
                    kind=FieldKind.SELECT,
                    choices=fields.choices(SERVICE_TYPES),
                ),
                FormField(
                    key="service_id",
                    label="Related service ID",
                    required=False,
                    kind=FieldKind.INTEGER,
                ),
            )
        )

    def check_values(self, values: Values) -> dict[str, str]:
        if bool(values.get("service_type")) != bool(values.get("service_id")):
            missing = "service_id" if values.get("service_type") else "service_type"
            return {missing: "Give both the related service's type and its ID, or neither."}
        return {}

    async def create(
        self, ticket: NewTicket, requester: Requester, *, before_send: BeforeSend | None = None
    ) -> TicketRef:
        department = ticket.text("department")
        if department not in self.config.departments:
            raise FieldErrors({"department": "Pick one of the departments."})
        parts = {
            "department_id": str(self.config.departments[department]),
            "subject": ticket.text("subject"),
            "message": ticket.text("description") + ticket.footer(),
        }
        if ticket.text("service_id"):
            parts |= {
                "service_id": ticket.text("service_id"),
                "service_type": ticket.text("service_type"),
            }
        files = [("attachments[]", (f.name, f.content, f.mime)) for f in ticket.attachments]
        response = await self._http.send(
            "POST",
            f"{self.config.url}/support/tickets",
            headers=self._headers(),
            files=[*multipart(parts), *files],
            before_send=before_send,
        )
        data = self._read(response)
        if data.get("id") is None:
            raise self._http.unexpected(response, "create answer lacks 'id'")
        number = str(data["id"])
        return self.ticket_ref(
            number,
            number,
            attached=tuple(f.name for f in ticket.attachments),
            status=str(data.get("status") or "opened"),
        )

    def _read(self, response: httpx.Response) -> dict[str, Any]:
        data = json_body(response)
        if response.status_code == 422:
            raise self._field_errors(data, response)
        if response.status_code == 423:
            raise AdminFixable(
                f"{self.title} says the account or ticket is locked.",
                admin_detail=f"{self.title} answered 423: {error_detail(response)}",
            )
        if response.status_code != 200 or not isinstance(data, dict):
            raise self._http.unexpected(response, error_detail(response))
        return data

    def _field_errors(self, data: Any, response: httpx.Response) -> FieldErrors:
        # NOTE: the 422 body is not documented; VPSBG's API is Laravel-shaped, so we read
        # {"message": …, "errors": {field: [messages]}} and fall back to the message.
        errors = data.get("errors") if isinstance(data, dict) else None
        return field_errors(errors, API_FIELDS, error_detail(response))

    async def reply(self, ref: TicketRef, text: str) -> None:
        response = await self._http.send(
            "POST",
            f"{self.config.url}/support/tickets/{self.item(ref)}/messages",
            headers=self._headers(),
            files=multipart({"message": text.ljust(5, ".")}),
        )
        self.missing(response, REPLIES, per_item=ref)
        self._read(response)

    async def probe(self) -> str:
        # NOTE: VPSBG documents no harmless read we may call; the token is tried on first use.
        return "no harmless read is documented; credentials are checked on the first ticket"
