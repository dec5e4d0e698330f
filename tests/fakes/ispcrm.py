"""A fake ISPCRM by Netgroot (../shared/providers/netgroot-ispcrm.txt).

Rules: bearer token (a subscriber JWT from POST /api/v1/subscriber/Login, or an admin-issued
token); GET /api/v1/Tickets/getSubjects (capital T: other casings are 404); CreateTicket needs
six integers (subject_id from the list; type, status, priority, group ids the install knows) and
a message; errors {success:false, message} with 400/401/404.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer

STATIC_TOKEN = "ispcrm-static-token-4e1f"
USERNAME = "subscriber01"
PASSWORD = "pw-subscriber-9911"
INTEGERS = ("subject_id", "type_id", "status_id", "priority_id", "group_id")


@dataclass
class FakeIspCrm(FakeServer):
    subjects: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"subject_id": 1, "name": "Technical Support"},
            {"subject_id": 2, "name": "Billing Issue"},
        ]
    )
    known: dict[str, set[int]] = field(
        default_factory=lambda: {
            "type_id": {1, 2},
            "status_id": {1, 2, 3},
            "priority_id": {1, 2, 3, 4},
            "group_id": {1, 2},
        }
    )
    tokens: set[str] = field(default_factory=lambda: {STATIC_TOKEN})
    subscriber_exists: bool = True
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(101))

    def error_body(self, status: int) -> dict[str, Any]:
        return {
            "success": False,
            "message": "Too Many Requests" if status == 429 else "Server Error",
        }

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/v1/subscriber/Login", self._login)
        app.router.add_get("/api/v1/Tickets/getSubjects", self._subjects)
        app.router.add_post("/api/v1/subscriber/CreateTicket", self._create)
        if not self.documented_only:  # NOTE: netgroot-ispcrm.txt: subjects and create only
            app.router.add_get("/api/v1/subscriber/getCustomerTickets", self._list)

    @staticmethod
    def _fail(status: int, message: str) -> web.Response:
        return web.json_response({"success": False, "message": message}, status=status)

    async def _login(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if not isinstance(body, dict) or (body.get("username"), body.get("password")) != (
            USERNAME,
            PASSWORD,
        ):
            return self._fail(401, "Unauthorized")
        token = secrets.token_hex(12)
        self.tokens.add(token)
        return web.json_response({"success": True, "data": {"token": token}})

    def _auth(self, request: web.Request) -> web.Response | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return self._fail(401, "Unauthorized")
        if not self.subscriber_exists:
            return self._fail(404, "Subscriber not found")
        return None

    async def _subjects(self, request: web.Request) -> web.Response:
        await self.record(request)
        if denied := self._auth(request):
            return denied
        return web.json_response({"success": True, "data": self.subjects})

    async def _create(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if denied := self._auth(request):
            return denied
        if not isinstance(body, dict):
            return self._fail(400, "Invalid request data")
        for name in INTEGERS:
            value = body.get(name)
            if not isinstance(value, int) or isinstance(value, bool):
                return self._fail(400, "Invalid request data")
        if body["subject_id"] not in {s["subject_id"] for s in self.subjects} or any(
            body[name] not in ids for name, ids in self.known.items()
        ):
            return self._fail(400, "Invalid request data")
        if not isinstance(body.get("message"), str) or not body["message"].strip():
            return self._fail(400, "Invalid request data")
        ticket_id = next(self._ids)
        self.tickets[ticket_id] = {
            "ticket_id": ticket_id,
            "subject": next(
                s["name"] for s in self.subjects if s["subject_id"] == body["subject_id"]
            ),
            "status": "Open",
            "priority": body["priority_id"],
            "created_at": "2026-11-23",
            "updated_at": "2026-11-23",
            "request": body,
        }
        return web.json_response(
            {
                "success": True,
                "message": "Ticket created successfully",
                "data": {"ticket_id": ticket_id, "status": "Open"},
            }
        )

    async def _list(self, request: web.Request) -> web.Response:
        await self.record(request)
        if denied := self._auth(request):
            return denied
        return web.json_response(
            {
                "success": True,
                "data": [
                    {k: v for k, v in t.items() if k != "request"} for t in self.tickets.values()
                ],
            }
        )
