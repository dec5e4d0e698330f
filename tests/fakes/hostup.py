"""A fake HostUp API v2 (../shared/providers/hostup.txt), as strict as its documentation.

Bearer keys with scopes; departments; the create rules (departmentSlug from the list,
criticalReason with critical, no top-level accountId, the context enum, e-mail CCs); RFC 7807
error bodies; 201 with the documented body; get, reply and list.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.paging import paged
from tests.fakes.server import FakeServer

API_KEY = "hostup-test-key-3f9a"
ALL_SCOPES = frozenset({"write:support", "read:support", "read:account"})
PRIORITIES = {"low", "medium", "high", "urgent", "critical"}
SERVICE_TYPES = {"domain", "hosting", "vps", "other"}
ID_PREFIXES = {"hosting": "acct_", "vps": "vps_", "domain": "dom_"}
FIELDS = {
    "departmentSlug",
    "subject",
    "message",
    "priority",
    "ccEmails",
    "context",
    "aiSummary",
    "aiHelpful",
    "criticalReason",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TITLES = {
    400: ("invalid_request", "Invalid request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    429: ("rate_limit_exceeded", "Too many requests"),
    500: ("internal_error", "Internal server error"),
}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def problem(
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    instance: str = "/api/v2/resource",
) -> dict[str, Any]:
    code, title = TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])
    body: dict[str, Any] = {
        "type": f"https://developer.hostup.se/errors/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
        "requestId": "req_01hxa3b4c5d6e7f8g9h0j1k2m3",
        "timestamp": "2026-04-27T12:34:56.000Z",
    }
    if errors is not None:
        body["errors"] = errors
    return body


@dataclass
class FakeHostUp(FakeServer):
    keys: dict[str, frozenset[str]] = field(default_factory=lambda: {API_KEY: ALL_SCOPES})
    echo_keys: bool = False  # 401 bodies quote the key that was sent
    numberless: bool = False  # create answers without `number` (the doc marks it optional)
    owned_services: set[str] | None = None  # linked services the key's account owns (None: all)
    departments: list[dict[str, str]] = field(
        default_factory=lambda: [
            {
                "slug": "general-web-hosting",
                "displayName": "Web hosting",
                "description": "",
                "email": "support@hostup.se",
            },
            {"slug": "vps", "displayName": "VPS", "description": "", "email": "vps@hostup.se"},
            {
                "slug": "billing",
                "displayName": "Billing",
                "description": "",
                "email": "billing@hostup.se",
            },
        ]
    )
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    paging: str = "cursor"  # how the list pages (tests/fakes/paging.py)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(10001))

    def error_body(self, status: int) -> dict[str, Any]:
        return problem(
            status,
            "An unexpected error occurred."
            if status >= 500
            else "Too many requests. Retry after the limit resets.",
        )

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v2/support/departments", self._departments)
        app.router.add_post("/api/v2/support/tickets", self._create)
        app.router.add_get("/api/v2/support/tickets", self._list)
        app.router.add_get("/api/v2/support/tickets/{id}", self._get)
        app.router.add_post("/api/v2/support/tickets/{id}/messages", self._reply)
        if not self.documented_only:  # NOTE: hostup.txt only says "when available"
            app.router.add_post("/api/v2/support/attachments", self._attach)

    def _auth(self, request: web.Request, scope: str) -> web.Response | None:
        if request.headers.get("Accept") != "application/json":  # hostup.txt: Headers
            return web.json_response(problem(406, "Send Accept: application/json."), status=406)
        header = request.headers.get("Authorization", "")
        scopes = (
            self.keys.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
        )
        if scopes is None:
            detail = "Authentication is required."
            if self.echo_keys:  # as careless APIs do: the key sent, quoted back
                detail = f"API key {header.removeprefix('Bearer ')!r} is not valid."
            return web.json_response(problem(401, detail), status=401)
        if scope not in scopes:
            return web.json_response(
                problem(403, "The caller lacks a required scope or does not own the resource."),
                status=403,
            )
        return None

    async def _departments(self, request: web.Request) -> web.Response:
        await self.record(request)
        if denied := self._auth(request, "read:account"):
            return denied
        return web.json_response({"departments": self.departments})

    def _check(self, body: Any) -> list[dict[str, str]]:
        def bad(pointer: str, detail: str) -> dict[str, str]:
            return {"pointer": pointer, "detail": detail, "code": "invalid_request"}

        if not isinstance(body, dict):
            return [bad("", "The request body must be a JSON object.")]
        errors = [bad(f"/{key}", f"`{key}` is not accepted.") for key in body if key not in FIELDS]
        slugs = {d["slug"] for d in self.departments}
        if not body.get("departmentSlug"):
            errors.append(bad("/departmentSlug", "`departmentSlug` is required."))
        elif body["departmentSlug"] not in slugs:
            errors.append(bad("/departmentSlug", "Unknown department."))
        for key in ("subject", "message"):
            if not isinstance(body.get(key), str) or not body[key].strip():
                errors.append(bad(f"/{key}", f"`{key}` is required."))
        priority = body.get("priority")
        if priority is not None and priority not in PRIORITIES:
            errors.append(bad("/priority", "Must be one of low, medium, high, urgent, critical."))
        if priority == "critical" and not body.get("criticalReason"):
            errors.append(bad("/criticalReason", "`criticalReason` is required with critical."))
        cc = body.get("ccEmails")
        if cc is not None:
            if not isinstance(cc, list):
                errors.append(bad("/ccEmails", "Must be an array."))
            else:
                errors += [
                    bad(f"/ccEmails/{i}", "Must be an e-mail address.")
                    for i, e in enumerate(cc)
                    if not EMAIL.match(str(e))
                ]
        context = body.get("context")
        if context is not None:
            errors += self._check_context(context, bad)
        return errors

    @staticmethod
    def _check_context(context: Any, bad: Any) -> list[dict[str, str]]:
        """hostup.txt: serviceType one of domain, hosting, vps, other; serviceId the public id
        (acct_… for hosting, vps_… for VPS, a domain's public id, dom_…); serviceName a label
        when the type is other; nothing else."""
        if not isinstance(context, dict):
            return [bad("/context", "Must be an object.")]
        errors = [
            bad(f"/context/{key}", f"`{key}` is not accepted.")
            for key in context
            if key not in ("serviceType", "serviceId", "serviceName")
        ]
        kind, service_id = context.get("serviceType"), context.get("serviceId")
        if kind not in SERVICE_TYPES:
            return [*errors, bad("/context/serviceType", "Unknown service type.")]
        if kind == "other":
            if service_id is not None:
                errors.append(bad("/context/serviceId", "Not used with serviceType other."))
        elif not isinstance(service_id, str) or not service_id.startswith(ID_PREFIXES[kind]):
            errors.append(bad("/context/serviceId", f"A {kind} public id is required."))
        if "serviceName" in context and kind != "other":
            errors.append(bad("/context/serviceName", "Only with serviceType other."))
        return errors

    async def _create(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            await self.record(request)
            return web.json_response(problem(400, "Send application/json."), status=400)
        body = await self.record(request)
        if denied := self._auth(request, "write:support"):
            return denied
        if errors := self._check(body):
            return web.json_response(
                problem(400, "The request body failed validation.", errors), status=400
            )
        service = (body.get("context") or {}).get("serviceId")
        if service and self.owned_services is not None and service not in self.owned_services:
            # NOTE: hostup.txt: "The server validates that the linked service belongs to the caller"
            return web.json_response(
                problem(403, "The caller lacks a required scope or does not own the resource."),
                status=403,
            )
        number = next(self._numbers)
        ticket_id = f"tkt_{number:026d}"
        ticket = {
            "id": ticket_id,
            "number": str(number),
            "subject": body["subject"],
            "body": body["message"],
            "status": "open",
            "priority": body.get("priority", "low"),
            "departmentSlug": body["departmentSlug"],
            "departmentName": "Dept",
            "createdAt": now_iso(),
            "updatedAt": now_iso(),
            "lastMessageAt": now_iso(),
            "ccEmails": body.get("ccEmails", []),
            "requesterName": "Jane Example",
            "messageCount": 1,
            "linkedServices": [],
            "attachments": [],
            "messages": [],
            "x-new-field": "unknown fields must be tolerated",
        }
        self.tickets[ticket_id] = ticket
        if self.numberless:
            return web.json_response({k: v for k, v in ticket.items() if k != "number"}, status=201)
        return web.json_response(ticket, status=201)

    def seed(self, subject: str, created_at: str) -> dict[str, Any]:
        """A ticket someone else filed (not through the bot), as the list will show it."""
        number = next(self._numbers)
        ticket: dict[str, Any] = {
            "id": f"tkt_{number:026d}",
            "number": str(number),
            "subject": subject,
            "status": "open",
            "createdAt": created_at,
            "messages": [],
            "attachments": [],
        }
        self.tickets[ticket["id"]] = ticket
        return ticket

    async def _list(self, request: web.Request) -> web.Response:
        await self.record(request)
        if denied := self._auth(request, "read:support"):
            return denied
        # NOTE: cursor paging, limit 1-100 (the README's summary of the docs); the order is not
        # documented: newest first, as the adapter assumes.
        try:
            limit = int(request.query.get("limit", "20"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 100:
            return web.json_response(problem(400, "limit must be 1 to 100."), status=400)
        items = [
            {k: v for k, v in t.items() if k not in ("body", "messages")}
            for t in reversed(self.tickets.values())
        ]
        return paged(request, items, self.paging, "tickets")

    async def _get(self, request: web.Request) -> web.Response:
        await self.record(request)
        if denied := self._auth(request, "read:support"):
            return denied
        ticket = self.tickets.get(request.match_info["id"])
        if ticket is None:
            return web.json_response(
                problem(404, "The requested resource could not be found."), status=404
            )
        return web.json_response(ticket)

    async def _attach(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if denied := self._auth(request, "write:support"):
            return denied
        file = body.get("file") if isinstance(body, dict) else None
        if request.content_type != "multipart/form-data" or not isinstance(file, dict):
            return web.json_response(
                problem(
                    400,
                    "The request body failed validation.",
                    [
                        {
                            "pointer": "/file",
                            "detail": "`file` is required.",
                            "code": "invalid_request",
                        }
                    ],
                ),
                status=400,
            )
        ticket = self.tickets.get(str(body.get("ticketId") or ""))
        if body.get("ticketId") and ticket is None:
            return web.json_response(problem(404, "Not found."), status=404)
        attachment = {
            "id": f"tatt_{len(self.requests)}",
            "filename": file["filename"],
            "extension": str(file["filename"]).rsplit(".", 1)[-1],
            "mimeType": file["content_type"],
            "size": len(file["content"]),
            "downloadUrl": "/api/v2/support/attachments/x",
        }
        if ticket is not None:
            ticket["attachments"].append(attachment)
        return web.json_response(attachment, status=201)

    async def _reply(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if denied := self._auth(request, "write:support"):
            return denied
        ticket = self.tickets.get(request.match_info["id"])
        if ticket is None:
            return web.json_response(problem(404, "Not found."), status=404)
        if not isinstance(body, dict) or not str(body.get("message") or "").strip():
            return web.json_response(
                problem(
                    400,
                    "The request body failed validation.",
                    [
                        {
                            "pointer": "/message",
                            "detail": "`message` is required.",
                            "code": "invalid_request",
                        }
                    ],
                ),
                status=400,
            )
        message = {
            "id": f"tmsg_{len(ticket['messages']) + 1}",
            "ticketId": ticket["id"],
            "sentAt": None,
            "body": body["message"],
            "sender": "customer",
            "senderName": "Jane Example",
            "encrypted": False,
            "attachments": [],
        }
        ticket["messages"].append(message)
        return web.json_response(message, status=201)
