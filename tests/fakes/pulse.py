"""A fake Pulse CRM (../shared/providers/merchant-crm.txt).

Rules: POST /auth/login {apiKey, apiSecret} → token; every call needs the bearer token and
x-account-id; create requires subject, description, category and source (closed enums),
requesterId and requesterType (seven types); `external` also needs requesterName and
requesterEmail; `user` takes the user's e-mail as requesterId; priority/status enums; integer
ids are integers. Error bodies are undocumented: the fake answers {message, errors:[…]}.
"""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.paging import paged
from tests.fakes.server import FakeServer

API_KEY = "pulse-key-19ab"
API_SECRET = "pulse-secret-77cd"
ACCOUNT = "2311"
CATEGORIES = {
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
}
SOURCES = {"email", "phone", "portal", "internal", "api"}
TYPES = {"application", "lead", "user", "merchant", "merchant-internal", "mid", "external"}
PRIORITIES = {"low", "medium", "high", "urgent"}
STATUSES = {"open", "in_progress", "waiting_customer", "waiting_internal", "resolved", "closed"}
INTEGERS = ("assignedTeamId", "merchantId", "leadId", "midId")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class FakePulse(FakeServer):
    tokens: set[str] = field(default_factory=set)
    logins: int = 0
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)
    paging: str = "total"  # how the list pages (tests/fakes/paging.py)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(9001))

    def error_body(self, status: int) -> dict[str, Any]:
        return {"message": "Too many requests" if status == 429 else "Internal server error"}

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/auth/login", self._login)  # NOTE: the auth the README names
        app.router.add_post("/tickets", self._create)
        if self.documented_only:  # NOTE: merchant-crm.txt documents the create call alone
            return
        app.router.add_get("/tickets", self._list)
        app.router.add_get("/tickets/{id}", self._get)
        app.router.add_post("/tickets/{id}/comments", self._comment)

    async def _login(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if not isinstance(body, dict) or (body.get("apiKey"), body.get("apiSecret")) != (
            API_KEY,
            API_SECRET,
        ):
            return web.json_response({"message": "Invalid credentials"}, status=401)
        self.logins += 1
        token = secrets.token_hex(12)
        self.tokens.add(token)
        return web.json_response({"token": token, "expiresIn": 3600})

    def _auth(self, request: web.Request) -> web.Response | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return web.json_response({"message": "Unauthorized"}, status=401)
        account = request.headers.get("x-account-id")
        if account is None:
            return web.json_response({"message": "x-account-id header is required"}, status=400)
        if account != ACCOUNT:
            return web.json_response({"message": "Forbidden"}, status=403)
        return None

    @staticmethod
    def _check(body: Any) -> list[dict[str, str]]:
        if not isinstance(body, dict):
            return [{"field": "body", "message": "must be an object"}]
        errors = []

        def bad(name: str, message: str) -> None:
            errors.append({"field": name, "message": message})

        for name in (
            "subject",
            "description",
            "category",
            "source",
            "requesterId",
            "requesterType",
        ):
            if not isinstance(body.get(name), str) or not body[name].strip():
                bad(name, f"{name} is required")
        for name, allowed in (
            ("category", CATEGORIES),
            ("source", SOURCES),
            ("requesterType", TYPES),
        ):
            if isinstance(body.get(name), str) and body[name] not in allowed:
                bad(name, f"{name} must be one of {sorted(allowed)}")
        if body.get("priority", "medium") not in PRIORITIES:
            bad("priority", "invalid priority")
        if body.get("status", "open") not in STATUSES:
            bad("status", "invalid status")
        kind = body.get("requesterType")
        if kind == "external":
            for name in ("requesterName", "requesterEmail"):
                if not body.get(name):
                    bad(name, f"{name} is required for external requesters")
        if kind == "user" and not EMAIL.match(str(body.get("requesterId"))):
            bad("requesterId", "for user requesters, requesterId is the user's email")
        for name in INTEGERS:
            if name in body and (not isinstance(body[name], int) or isinstance(body[name], bool)):
                bad(name, f"{name} must be an integer")
        if "tags" in body and not (
            isinstance(body["tags"], list) and all(isinstance(t, str) for t in body["tags"])
        ):
            bad("tags", "tags must be an array of strings")
        return errors

    async def _create(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if denied := self._auth(request):
            return denied
        if errors := self._check(body):
            return web.json_response(
                {"message": "Invalid input data", "errors": errors}, status=400
            )
        ticket_id = next(self._ids)
        kind = body["requesterType"]
        ticket = {
            "id": ticket_id,
            "uniqueId": f"u-{ticket_id}",
            "accountId": ACCOUNT,
            "ticketNumber": f"TKT-{ticket_id + 3344}",
            "subject": body["subject"],
            "description": body["description"],
            "status": body.get("status", "open"),
            "priority": body.get("priority", "medium"),
            "category": body["category"],
            "source": body["source"],
            "requesterId": body["requesterId"],
            "requesterName": body.get("requesterName") if kind == "external" else "Derived",
            "requesterEmail": body.get("requesterEmail")
            if kind == "external"
            else "derived@example.com",
            "requesterType": kind,
            "tags": body.get("tags", []),
            "responseCount": 0,
            "slaStatus": "on_time",
            "metaData": {},
            "createdAt": datetime.now(UTC).isoformat(),
        }
        self.tickets[ticket_id] = ticket
        return web.json_response(ticket, status=201)

    async def _list(self, request: web.Request) -> web.Response:
        await self.record(request)
        if denied := self._auth(request):
            return denied
        return paged(request, list(reversed(self.tickets.values())), self.paging, "data")

    async def _get(self, request: web.Request) -> web.Response:
        await self.record(request)
        if denied := self._auth(request):
            return denied
        ticket = self.tickets.get(int(request.match_info["id"]))
        if ticket is None:
            return web.json_response({"message": "Ticket not found"}, status=404)
        return web.json_response(ticket)

    async def _comment(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if denied := self._auth(request):
            return denied
        if int(request.match_info["id"]) not in self.tickets:
            return web.json_response({"message": "Ticket not found"}, status=404)
        if not isinstance(body, dict) or not str(body.get("content") or "").strip():
            return web.json_response(
                {
                    "message": "Invalid input data",
                    "errors": [{"field": "content", "message": "content is required"}],
                },
                status=400,
            )
        comment = {
            "id": len(self.comments) + 1,
            "ticketId": int(request.match_info["id"]),
            "content": body["content"],
            "isInternal": bool(body.get("isInternal")),
        }
        self.comments.append(comment)
        return web.json_response(comment, status=201)
