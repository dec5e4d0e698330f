"""BillingServ API v2 (self-hosted billing platform): JSON, bearer API key, 422 field errors.

Traps (../shared/providers/billingserv.txt and README): the subject allows only letters,
numbers, spaces and basic punctuation; the message rejects emoji and unsupported HTML; the
priority is low/medium/high/emergency; create answers 200 with ``{success, ticket:{id}}``;
departments are names from config (no list endpoint); ``user_id`` is the integer customer id.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr

from bot.domain.errors import FeatureMissing, FieldErrors
from bot.domain.forms import FieldKind, Form, FormField, Values
from bot.domain.text import whole_number
from bot.domain.tickets import (
    Filer,
    NewTicket,
    Requester,
    RequesterSource,
    StaffMessage,
    TicketRef,
    TicketStatus,
)
from bot.providers import fields
from bot.providers.adapter import (
    CUSTOMER_SEARCH,
    REPLIES,
    STATUS,
    TWIN_CHECK,
    BeforeSend,
    HttpAdapter,
    ListsTickets,
    StaticForm,
)
from bot.providers.base import FeatureOff, no_notice
from bot.providers.config import ProviderConfigBase
from bot.providers.http import field_errors, json_body
from bot.providers.paging import ListQuery, PageRequest

PRIORITIES = ("low", "medium", "high", "emergency")
CLOSED = "close"  # NOTE: BillingServ's status enum says "close", not "closed"
# NOTE: "letters, numbers, spaces and basic punctuation" is not defined further in the docs;
# we allow Unicode letters/digits and . , : ; ! ? ' " ( ) [ ] - _ / & # @ + % (README).
SUBJECT_OK = re.compile(r"^[\w .,:;!?'\"()\[\]\-/&#@+%]+$")
SHORTCODE = re.compile(r":([a-z][a-z0-9_+\-]*):")
# NOTE: Slack's names that are not Unicode's (unicodedata knows "fire", "warning sign", …).
SLACK_EMOJI = {
    "white_check_mark": "white heavy check mark",
    "heavy_check_mark": "heavy check mark",
    "x": "cross mark",
    "warning": "warning sign",
    "rotating_light": "police cars revolving light",
    "red_circle": "large red circle",
    "large_green_circle": "large green circle",
    "large_yellow_circle": "large yellow circle",
    "tada": "party popper",
    "+1": "thumbs up sign",
    "thumbsup": "thumbs up sign",
    "-1": "thumbs down sign",
    "thumbsdown": "thumbs down sign",
    "boom": "collision symbol",
    "bell": "bell",
    "eyes": "eyes",
    "sos": "squared sos",
}
# NOTE: what autocorrect types, as the ASCII the subject rule allows.
TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
)
API_FIELDS = {
    "subject": "subject",
    "message": "description",
    "support_department": "department",
    "priority": "priority",
    "user_id": "",
    "assignee_by": "",
}


PAGE_SIZE = 50  # tickets per page when looking for a twin


def customer_id(text: str | None) -> int | None:
    """A BillingServ customer id (a positive whole number), parsed; None for anything else
    ("²", "0", "-3", "42a")."""
    value = whole_number(text)
    return value if value is not None and value > 0 else None


class BillingServConfig(ProviderConfigBase):
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key",)

    kind: str = Field(pattern="^billingserv$")
    api_key: SecretStr
    departments: tuple[str, ...] = Field(min_length=1, description="Support department names.")
    default_customer_id: int | None = Field(default=None, gt=0)
    assignee_by: int | None = Field(default=None, gt=0)


def error_detail(response: httpx.Response) -> str:
    body = json_body(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        return " ".join(str(e) for e in errors)
    return response.reason_phrase


def is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" or 0x1F000 <= ord(char) <= 0x1FAFF


def normalise_subject(text: str) -> str:
    """Curly quotes, dashes and ellipses as the plain punctuation the subject rule allows."""
    return text.translate(TYPOGRAPHY)


def emoji_shortcode(match: re.Match[str]) -> str:
    """``:fire:`` → ``(fire)`` where it names an emoji; any other ``:text:`` stays as it is
    (``10:30:45``, ``ERROR:root:disk`` and ``fe80::1:2:3`` are not emoji)."""
    code = match.group(1)
    name = SLACK_EMOJI.get(code, code.replace("_", " "))
    try:
        char = unicodedata.lookup(name)
    except KeyError:
        return match.group(0)
    return f"({code.replace('_', ' ')})" if is_emoji(char) else match.group(0)


def clean_message(text: str) -> str:
    """Plain text → the HTML BillingServ accepts: emoji as words, tags as text, <br> lines."""

    def word(char: str) -> str:
        if char in "\ufe0f\u200d":  # variation selector, zero-width joiner
            return ""
        if is_emoji(char):
            return f"({unicodedata.name(char, 'emoji').lower()})"
        return char

    text = SHORTCODE.sub(emoji_shortcode, text)
    text = "".join(word(char) for char in text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(
        "<p>" + html.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs
    )


class BillingServProvider(StaticForm, ListsTickets, HttpAdapter[BillingServConfig]):
    """Files tickets as a customer (``user_id``) found through a requester link or the default."""

    created_key = "created_at"  # where the ticket list says when each was filed
    default_title = "BillingServ"
    scope_hint = " The API key needs permission for the Support endpoints."

    def __init__(
        self,
        config: BillingServConfig,
        client: httpx.AsyncClient,
        *,
        on_feature_off: FeatureOff = no_notice,
    ) -> None:
        super().__init__(config, client, error_detail, on_feature_off=on_feature_off)
        self._form = self._build_form()  # NOTE: static: built once

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.config.api_key.get_secret_value()}",
            "Accept": "application/json",
        }

    def requester_id_problem(self, requester_id: str) -> str | None:
        if customer_id(requester_id) is None:
            return f"{self.title} customer ids are whole numbers, like 42."
        return None

    async def find_customer(self, email: str) -> str | None:
        # NOTE: GET /customer/lists?search= is not in the create call's doc; we read a list of
        # {id, email} under `data` (or `customers`) and accept exactly one exact match. Where
        # it is not there (404/405), or the key may not read customers (403: limited to
        # Support), the search is off and unlinked users file as the default customer.
        if not self.has(CUSTOMER_SEARCH):
            return None
        response = await self._http.send(
            "GET",
            f"{self.config.url}/customer/lists",
            headers=self._headers(),
            params={"search": email, "per_page": 50},
            auth_errors=False,
        )
        try:
            self.missing(response, CUSTOMER_SEARCH, also=(403,))
        except FeatureMissing:
            return None
        if response.status_code == 401:
            raise self._http.auth_error(response)
        data = self._read(response)
        items = data.get("data", data.get("customers"))
        matches = {
            str(c["id"])
            for c in (items if isinstance(items, list) else [])
            if isinstance(c, dict)
            and "id" in c
            and str(c.get("email", "")).strip().lower() == email.strip().lower()
        }
        return matches.pop() if len(matches) == 1 else None

    def default_requester(self, filer: Filer) -> Requester | None:
        if self.config.default_customer_id is None:
            return None
        cid = str(self.config.default_customer_id)
        return Requester(
            id=cid,
            label=f"{self.title} customer #{cid} (the team's default)",
            source=RequesterSource.DEFAULT,
        )

    def _build_form(self) -> Form:
        return Form(
            fields=(
                FormField(
                    key="department",
                    label="Department",
                    kind=FieldKind.SELECT,
                    choices=fields.choices({d: d for d in self.config.departments}),
                    default=self.config.departments[0],
                ),
                fields.subject(
                    max_length=255, hint="Letters, numbers, spaces and basic punctuation only."
                ),
                fields.description(),
                fields.priority(PRIORITIES, default="medium"),
            ),
            notes=(
                f"{self.title} does not accept emoji or HTML: emoji are sent as words "
                "like (fire), and HTML is sent as plain text.",
            ),
        )

    def check_values(self, values: Values) -> dict[str, str]:
        subject = values.get("subject")
        subject = normalise_subject(subject) if isinstance(subject, str) else subject
        if isinstance(subject, str) and subject and not SUBJECT_OK.match(subject):
            bad = sorted({c for c in subject if not SUBJECT_OK.match(c)})
            return {
                "subject": f"{self.title} allows only letters, numbers, spaces and basic "
                f"punctuation; remove: {' '.join(bad)[:100]}"
            }
        return {}

    async def create(
        self, ticket: NewTicket, requester: Requester, *, before_send: BeforeSend | None = None
    ) -> TicketRef:
        user_id = customer_id(requester.id)
        if user_id is None:
            raise FieldErrors({}, f"{self.title} needs a numeric customer id to file as.")
        body: dict[str, Any] = {
            "subject": normalise_subject(ticket.text("subject")),
            "user_id": user_id,
            "message": clean_message(ticket.text("description") + ticket.footer()),
            "support_department": ticket.text("department"),
            "priority": ticket.text("priority") or "medium",
        }
        if self.config.assignee_by is not None:
            body["assignee_by"] = self.config.assignee_by
        response = await self._http.send(
            "POST",
            f"{self.config.url}/ticket/create",
            headers=self._headers(),
            json=body,
            before_send=before_send,
        )
        data = self._read(response)
        ticket_data = data.get("ticket")
        if not isinstance(ticket_data, dict) or ticket_data.get("id") is None:
            raise self._http.unexpected(response, "create answer lacks 'ticket.id'")
        ref_id = str(ticket_data["id"])
        return self.ticket_ref(ref_id, ref_id, status=str(ticket_data.get("status") or "open"))

    def _read(self, response: httpx.Response) -> dict[str, Any]:
        """The body of a successful answer; field errors and refusals raised as such."""
        data = json_body(response)
        if response.status_code == 422:
            raise self._field_errors(data)
        if response.status_code != 200 or not isinstance(data, dict):
            raise self._http.unexpected(response, error_detail(response))
        if data.get("success") is False:  # NOTE: `success` is not a required field
            raise self._field_errors(data)
        return data

    def _field_errors(self, data: Any) -> FieldErrors:
        errors = data.get("errors") if isinstance(data, dict) else None
        return field_errors(errors, API_FIELDS, "Rejected.")

    def _list_query(self, requester: Requester) -> ListQuery:
        """``GET /ticket/lists`` for the requester. NOTE: the docs name the filters, not the
        paging; we send page/per_page, as the customer list documents, and follow whatever
        paging the answers carry (``bot.providers.paging``)."""
        return ListQuery(
            f"{self.config.url}/ticket/lists",
            {"user_id": requester.id or ""},
            size_param="per_page",
            size=PAGE_SIZE,
        )

    async def _list_page(self, request: PageRequest) -> tuple[httpx.Response, Any]:
        response = await self._http.send(
            "GET", request.url, headers=self._headers(), params=request.params
        )
        self.missing(response, TWIN_CHECK)
        data = json_body(response)
        if isinstance(data, list) and response.status_code == 200:
            return response, data  # NOTE: a bare list; its paging rides in a Link header
        return response, self._read(response)

    def _ref(self, item: dict[str, Any]) -> TicketRef | None:
        if item.get("id") is None:
            return None
        ref_id = str(item["id"])
        return self.ticket_ref(ref_id, ref_id, status=str(item.get("status") or "open"))

    async def get(self, ref: TicketRef) -> TicketStatus:
        response = await self._http.send(
            "GET",
            f"{self.config.url}/ticket/get",
            headers=self._headers(),
            params={"id": self.item(ref)},
        )
        self.missing(response, STATUS)  # NOTE: the id is a parameter: a 404 is the endpoint
        data = self._read(response)
        ticket = data.get("ticket")
        if not isinstance(ticket, dict):
            raise self._http.unexpected(response, "get answer lacks 'ticket'")
        status = str(ticket.get("status") or "open")
        owner = ticket.get("user_id")
        # NOTE: undocumented: a message whose replay_by is not the customer is a staff reply.
        messages = tuple(
            StaffMessage(
                id=str(m.get("id")), author=f"{self.title} staff", body=str(m.get("message") or "")
            )
            for m in ticket.get("messages") or []
            if isinstance(m, dict) and m.get("replay_by") not in (None, owner)
        )
        return TicketStatus(status=status, closed=status == CLOSED, messages=messages)

    async def reply(self, ref: TicketRef, text: str) -> None:
        response = await self._http.send(
            "POST",
            f"{self.config.url}/ticket/reply",
            headers=self._headers(),
            json={"id": int(self.item(ref)), "message": clean_message(text)},
        )
        self.missing(response, REPLIES)
        self._read(response)

    async def probe(self) -> str:
        """The key, on the first read endpoint that is there (none is documented)."""
        for feature, path in ((CUSTOMER_SEARCH, "/customer/lists"), (TWIN_CHECK, "/ticket/lists")):
            response = await self._http.send(
                "GET",
                f"{self.config.url}{path}",
                headers=self._headers(),
                params={"per_page": 1},
                auth_errors=False,
            )
            try:
                self.missing(response, feature, also=(403,) if feature == CUSTOMER_SEARCH else ())
            except FeatureMissing:
                continue
            if response.status_code in (401, 403):
                raise self._http.auth_error(response)
            self._read(response)
            return f"API key works ({path} readable)"
        return "no read endpoint to try the API key on; it is tried on the first ticket"
