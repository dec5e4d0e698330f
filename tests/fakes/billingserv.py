"""A fake BillingServ API v2 (../shared/providers/billingserv.txt and its README notes).

Rules: bearer key (401 "Invalid API Key", 403 without permission); create requires subject
(letters, numbers, spaces, basic punctuation), integer user_id of a known customer, message
(no emoji, only standard rich-text tags), a configured support_department;
priority low/medium/high/emergency; status open/pending/close/awaiting_reply; 200 with
{success, ticket}; 422 {success:false, errors:{field:[…]}}. Also get, reply, customer lists.
"""

from __future__ import annotations

import itertools
import re
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.paging import paged
from tests.fakes.server import FakeServer

API_KEY = "bs-live-key-51c2"
READ_ONLY_KEY = "bs-readonly-key-0aa1"
# NOTE: billingserv.txt: "letters, numbers, spaces and basic punctuation". Read here as: any
# letter or digit, a space, and ASCII punctuation except the symbols that are markup or maths.
NOT_BASIC = set("<>{}|\\^`~$*=")


def subject_ok(text: str) -> bool:
    return all(
        c.isalnum() or c == " " or (c in string.punctuation and c not in NOT_BASIC) for c in text
    )


ALLOWED_TAGS = {
    "p",
    "br",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ul",
    "ol",
    "li",
    "a",
    "code",
    "pre",
    "blockquote",
}
TAG = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9]*)[^>]*>")
# NOTE: emoji as Unicode places them: the pictograph and symbol blocks, and the emoji
# presentation selector. Text such as ":fire:" or "10:30:45" is just text.
EMOJI_BLOCKS = (
    (0x1F000, 0x1F2FF),  # mahjong, domino, cards; enclosed alphanumerics (regional flags)
    (0x1F300, 0x1F5FF),  # miscellaneous symbols and pictographs
    (0x1F600, 0x1F64F),  # emoticons
    (0x1F680, 0x1F6FF),  # transport and map symbols
    (0x1F780, 0x1F7FF),  # geometric shapes extended (coloured circles and squares)
    (0x1F900, 0x1F9FF),  # supplemental symbols and pictographs
    (0x1FA70, 0x1FAFF),  # symbols and pictographs extended-A
    (0x2600, 0x27BF),  # miscellaneous symbols, dingbats
    (0xFE0F, 0xFE0F),  # emoji presentation selector
)


def has_emoji(text: str) -> bool:
    return any(low <= ord(c) <= high for c in text for low, high in EMOJI_BLOCKS)


@dataclass
class FakeBillingServ(FakeServer):
    departments: tuple[str, ...] = ("Billing", "Technical")
    customers: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {
            42: {"id": 42, "email": "ana@example.com", "first_name": "Ana", "last_name": "Admin"},
            7: {"id": 7, "email": "bob@example.com", "first_name": "Bob", "last_name": "B"},
        }
    )
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    paging: str = "plain"  # how the list pages (tests/fakes/paging.py)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(501))

    def error_body(self, status: int) -> dict[str, Any]:
        return {
            "success": False,
            "errors": "Too Many Attempts." if status == 429 else "Server Error",
        }

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/v2/ticket/create", self._create)
        if self.documented_only:  # NOTE: billingserv.txt documents the create call alone
            return
        app.router.add_get("/api/v2/ticket/get", self._get)
        app.router.add_get("/api/v2/ticket/lists", self._lists)
        app.router.add_post("/api/v2/ticket/reply", self._reply)
        app.router.add_get("/api/v2/customer/lists", self._customers)

    def _auth(self, request: web.Request, write: bool) -> web.Response | None:
        key = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if key not in (API_KEY, READ_ONLY_KEY):
            return web.json_response({"success": False, "errors": "Invalid API Key"}, status=401)
        if write and key == READ_ONLY_KEY:
            return web.json_response(
                {"success": False, "errors": "Insufficient permissions for this endpoint."},
                status=403,
            )
        return None

    @staticmethod
    def _invalid(errors: dict[str, list[str]]) -> web.Response:
        return web.json_response({"success": False, "errors": errors}, status=422)

    def _check_message(self, message: Any, errors: dict[str, list[str]]) -> None:
        if not isinstance(message, str) or not message.strip():
            errors["message"] = ["The message field is required."]
        elif has_emoji(message):
            errors["message"] = ["The message may not contain emojis."]
        elif bad := {t.lower() for t in TAG.findall(message)} - ALLOWED_TAGS:
            errors["message"] = [f"The message contains unsupported HTML: {sorted(bad)}."]

    async def _create(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if denied := self._auth(request, write=True):
            return denied
        if not isinstance(body, dict):
            return self._invalid({"body": ["The body must be JSON."]})
        errors: dict[str, list[str]] = {}
        subject = body.get("subject")
        if not isinstance(subject, str) or not subject.strip():
            errors["subject"] = ["The subject field is required."]
        elif not subject_ok(subject):
            errors["subject"] = [
                "The subject may only contain letters, numbers, spaces and basic punctuation."
            ]
        user_id = body.get("user_id")
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            errors["user_id"] = ["The user id must be an integer."]
        elif user_id not in self.customers:
            errors["user_id"] = ["The selected user id is invalid."]
        self._check_message(body.get("message"), errors)
        if body.get("support_department") not in self.departments:
            errors["support_department"] = ["The selected support department is invalid."]
        if body.get("priority", "low") not in ("low", "medium", "high", "emergency"):
            errors["priority"] = ["The selected priority is invalid."]
        if body.get("status", "open") not in ("open", "pending", "close", "awaiting_reply"):
            errors["status"] = ["The selected status is invalid."]
        if "assignee_by" in body and not isinstance(body["assignee_by"], int):
            errors["assignee_by"] = ["The assignee by must be an integer."]
        if errors:
            return self._invalid(errors)
        ticket_id = next(self._ids)
        ticket = {
            "id": ticket_id,
            "subject": subject,
            "user_id": user_id,
            "assignee_by": body.get("assignee_by"),
            "status": body.get("status", "open"),
            "support_department": body["support_department"],
            "priority": body.get("priority", "low"),
            "last_action": "Created",
            "created_at": datetime.now(UTC).isoformat(),
            "messages": [
                {
                    "id": ticket_id * 10,
                    "support_ticket_id": ticket_id,
                    "replay_by": user_id,
                    "message": body["message"],
                }
            ],
        }
        self.tickets[ticket_id] = ticket
        return web.json_response({"success": True, "ticket": ticket})

    async def _get(self, request: web.Request) -> web.Response:
        await self.record(request)
        if denied := self._auth(request, write=False):
            return denied
        ticket = self.tickets.get(int(request.query.get("id", "0") or 0))
        if ticket is None:
            return self._invalid({"id": ["The selected id is invalid."]})
        return web.json_response({"success": True, "ticket": ticket})

    async def _lists(self, request: web.Request) -> web.Response:
        await self.record(request)
        if denied := self._auth(request, write=False):
            return denied
        user = request.query.get("user_id")
        found = [
            {k: v for k, v in t.items() if k != "messages"}
            for t in reversed(self.tickets.values())
            if user is None or str(t["user_id"]) == user
        ]
        return paged(request, found, self.paging, "data")

    async def _reply(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if denied := self._auth(request, write=True):
            return denied
        errors: dict[str, list[str]] = {}
        ticket_id = body.get("id") if isinstance(body, dict) else None
        ticket = self.tickets.get(ticket_id) if isinstance(ticket_id, int) else None
        if ticket is None:
            errors["id"] = ["The id field is required."]
        self._check_message((body or {}).get("message"), errors)
        if errors or ticket is None:
            return self._invalid(errors)
        ticket["messages"].append(
            {
                "id": len(ticket["messages"]) + ticket["id"] * 10,
                "support_ticket_id": ticket["id"],
                "replay_by": ticket["user_id"],
                "message": body["message"],
            }
        )
        return web.json_response({"success": True, "ticket": ticket})

    async def _customers(self, request: web.Request) -> web.Response:
        await self.record(request)
        if denied := self._auth(request, write=False):
            return denied
        search = request.query.get("search", "").lower()
        found = [c for c in self.customers.values() if search in c["email"].lower()]
        per_page = int(request.query.get("per_page", "15"))
        return web.json_response({"success": True, "data": found[:per_page], "total": len(found)})
