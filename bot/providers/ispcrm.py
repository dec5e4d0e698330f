"""ISPCRM by Netgroot (netgroot-ispcrm.txt): a subscriber files tickets about their own service.

Traps: ``type_id``, ``status_id``, ``priority_id`` and ``group_id`` are required integers with
no look-up endpoint, so config names them; subjects come from ``GET /Tickets/getSubjects``;
path casing differs between endpoints; errors are ``{success:false, message}``.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr, model_validator

from bot.domain.errors import ConfigError, FieldErrors, ProviderAuthError, ProviderProtocolError
from bot.domain.forms import Choice, FieldKind, Form, FormField, Values
from bot.domain.tickets import NewTicket, Requester, TicketRef, TicketStatus
from bot.providers import fields
from bot.providers.adapter import STATUS, BeforeSend, CredentialIsRequester, FormMemo, TokenLogin
from bot.providers.base import FeatureOff, no_notice
from bot.providers.cache import Cached
from bot.providers.config import ProviderConfigBase
from bot.providers.http import json_body, token_from

CLOSED = {"closed", "resolved", "completed"}


class IspCrmConfig(ProviderConfigBase):
    secret_fields: ClassVar[tuple[str, ...]] = ("token", "username", "password")

    kind: str = Field(pattern="^ispcrm$")
    token: SecretStr | None = None
    username: SecretStr | None = None
    password: SecretStr | None = None
    priorities: dict[str, int] = Field(min_length=1)
    types: dict[str, int] = Field(min_length=1)
    groups: dict[str, int] = Field(min_length=1)
    status_id: int = Field(description="The status new tickets start in (e.g. 1 = Open).")
    default_priority: str | None = None
    subjects_cache_seconds: float = Field(default=300, ge=0)

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> IspCrmConfig:
        if (self.token is None) == (self.username is None or self.password is None):
            raise ValueError("give either token_env, or username_env and password_env")
        if self.default_priority and self.default_priority not in self.priorities:
            raise ValueError("default_priority must be one of the priorities' names")
        return self


def error_detail(response: httpx.Response) -> str:
    body = json_body(response)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return response.reason_phrase


def _named(mapping: dict[str, int]) -> tuple[Choice, ...]:
    return tuple(Choice(value=name, label=name) for name in mapping)


class IspCrmProvider(CredentialIsRequester, TokenLogin[IspCrmConfig]):
    """The token is a subscriber's: tickets are filed as that subscriber."""

    default_title = "ISPCRM"
    owner = "subscriber of the bot's token"

    def __init__(
        self,
        config: IspCrmConfig,
        client: httpx.AsyncClient,
        *,
        on_feature_off: FeatureOff = no_notice,
    ) -> None:
        token = config.token.get_secret_value() if config.token else None
        super().__init__(config, client, error_detail, token=token, on_feature_off=on_feature_off)
        self._subjects: Cached[tuple[Choice, ...]] = Cached(
            self._load_subjects, config.subjects_cache_seconds
        )
        self._form = FormMemo(self._build_form)
        self._list_read: asyncio.Future[dict[str, str]] | None = None

    def _can_renew(self) -> bool:
        # NOTE: subscriber JWTs expire and are renewed by logging in; a static token is not
        return self.config.username is not None

    async def _fetch_token(self) -> str:
        if self.config.username is None or self.config.password is None:
            raise ProviderAuthError(
                f"The bot's {self.title} token was refused. An admin needs to fix it.",
                admin_detail=f"{self.title} answered 401 to the static token in token_env.",
            )
        response = await self._http.send(
            "POST",
            f"{self.config.url}/subscriber/Login",
            auth_errors=False,
            json={
                "username": self.config.username.get_secret_value(),
                "password": self.config.password.get_secret_value(),
            },
        )
        if response.status_code == 404 and not isinstance(json_body(response), dict):
            raise self._wrong_base_url(response)
        if response.status_code in (400, 401, 404):
            raise ProviderAuthError(
                f"The bot's {self.title} login was refused. An admin needs to fix it.",
                admin_detail=f"{self.title} login answered {response.status_code}: "
                f"{error_detail(response)}",
            )
        token = token_from(json_body(response))
        if response.status_code != 200 or not token:
            raise self._http.unexpected(response, "login answer has no token")
        return token

    def _wrong_base_url(self, response: httpx.Response) -> ConfigError:
        return ConfigError(
            f"providers.{self.name}.base_url",
            f"{self.title} answered 404 at {response.request.url.path} with no ISPCRM error; "
            "the base URL must be the install's API root, like https://isp.example.com/api/v1",
        )

    def _data(self, response: httpx.Response) -> Any:
        body = json_body(response)
        if response.status_code == 400 or (
            isinstance(body, dict) and body.get("success") is False and response.status_code == 200
        ):
            raise FieldErrors({}, error_detail(response))
        if response.status_code == 404 and isinstance(body, dict):
            # NOTE: the docs' 404 is {success: false, message}: about the subscriber.
            raise ProviderAuthError(
                f"{self.title} does not know the bot's subscriber. An admin needs to fix it.",
                admin_detail=f"{self.title} answered 404: {error_detail(response)}",
            )
        if response.status_code == 404:  # not ISPCRM's own answer: no such path here
            raise self._wrong_base_url(response)
        if response.status_code != 200 or not isinstance(body, dict) or "data" not in body:
            raise self._http.unexpected(response, error_detail(response))
        return body["data"]

    async def _load_subjects(self) -> tuple[Choice, ...]:
        # NOTE: the docs spell this path with a capital T: /api/v1/Tickets/getSubjects.
        response = await self._call("GET", "/Tickets/getSubjects")
        data = self._data(response)
        if not isinstance(data, list):
            raise self._http.unexpected(response, "subjects are not a list")
        return tuple(
            Choice(
                value=str(s["subject_id"]),
                label=str(s.get("name") or "")[:75] or str(s["subject_id"]),
            )
            for s in data
            if isinstance(s, dict) and "subject_id" in s
        )

    def cached_form(self) -> Form | None:
        subjects = self._subjects.stale
        return None if subjects is None else self._form(subjects)

    async def form(self) -> Form:
        return self._form(await self._subjects.get())

    def _build_form(self, subjects: tuple[Choice, ...]) -> Form:
        cfg = self.config
        form_fields = [
            FormField(key="subject_id", label="Topic", kind=FieldKind.SELECT, choices=subjects),
            fields.subject(
                max_length=200,
                required=False,
                label="Summary",
                hint="Optional; sent as the first line of the message.",
            ),
            fields.description(),
            FormField(
                key="priority",
                label="Priority",
                kind=FieldKind.SELECT,
                choices=_named(cfg.priorities),
                default=cfg.default_priority or next(iter(cfg.priorities)),
            ),
        ]
        for key, label, mapping in (("group", "Group", cfg.groups), ("type", "Type", cfg.types)):
            if len(mapping) > 1:
                form_fields.append(
                    FormField(
                        key=key,
                        label=label,
                        kind=FieldKind.SELECT,
                        choices=_named(mapping),
                        default=next(iter(mapping)),
                    )
                )
        return Form(fields=tuple(form_fields))

    def check_values(self, values: Values) -> dict[str, str]:
        return {}

    def _id(self, mapping: dict[str, int], ticket: NewTicket, key: str) -> int:
        return mapping.get(ticket.text(key), next(iter(mapping.values())))

    async def create(
        self, ticket: NewTicket, requester: Requester, *, before_send: BeforeSend | None = None
    ) -> TicketRef:
        message = ticket.text("description") + ticket.footer()
        if summary := ticket.text("subject"):
            message = f"{summary}\n\n{message}"
        body = {
            "subject_id": int(ticket.text("subject_id")),
            "type_id": self._id(self.config.types, ticket, "type"),
            "status_id": self.config.status_id,
            "priority_id": self._id(self.config.priorities, ticket, "priority"),
            "group_id": self._id(self.config.groups, ticket, "group"),
            "message": message,
        }
        response = await self._call(
            "POST", "/subscriber/CreateTicket", json=body, before_send=before_send
        )
        data = self._data(response)
        ticket_id = data.get("ticket_id") if isinstance(data, dict) else None
        if ticket_id is None:
            raise self._http.unexpected(response, "create answer lacks 'data.ticket_id'")
        number = str(ticket_id)
        return self.ticket_ref(number, number, status=str(data.get("status") or "Open"))

    async def get(self, ref: TicketRef) -> TicketStatus:
        statuses = await self._statuses()
        if ref.id not in statuses:
            raise ProviderProtocolError(
                f"{self.title} answered in a way the bot does not understand.",
                admin_detail=f"{self.title} HTTP 200: ticket {ref.id} is not in the"
                " customer's list",
            )
        status = statuses[ref.id]
        return TicketStatus(status=status, closed=status.lower() in CLOSED)

    async def _statuses(self) -> dict[str, str]:
        """Each of the customer's tickets' status. NOTE: the only status read is the whole
        list, so reads of several tickets that overlap share one request (one each would read
        the list once per ticket: tickets² items per interval)."""
        if self._list_read is None:
            read = asyncio.ensure_future(self._read_statuses())
            self._list_read = read
            read.add_done_callback(self._list_read_done)
        return await asyncio.shield(self._list_read)

    def _list_read_done(self, read: asyncio.Future[dict[str, str]]) -> None:
        if self._list_read is read:
            self._list_read = None
        if not read.cancelled():
            read.exception()  # NOTE: retrieved: its waiters were told (or all went away)

    async def _read_statuses(self) -> dict[str, str]:
        response = await self._call("GET", "/subscriber/getCustomerTickets")
        self.missing(response, STATUS)
        data = self._data(response)
        return {
            str(item.get("ticket_id")): str(item.get("status") or "Open")
            for item in (data if isinstance(data, list) else [])
            if isinstance(item, dict)
        }

    async def probe(self) -> str:
        return f"{len(await self._subjects.get())} subjects"
