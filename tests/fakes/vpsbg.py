"""A fake VPSBG API v1 (../shared/providers/vpsbg.txt).

Rules: bearer token of kind Write (a read token gets 403); `Accept: application/json` required
(without it the API answers HTML); create is multipart/form-data: department_id (integer, a known
department), subject 3–255 characters, message ≥5, optional service_id (integer) + service_type
(hosting, server), optional attachments[] files; 200 with the whole ticket; 422 validation in
Laravel's shape; 423 when a ticket is locked; messages reply multipart.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer

WRITE_TOKEN = "vpsbg-write-token-6b0e"
READ_TOKEN = "vpsbg-read-token-2c9d"


@dataclass
class FakeVpsbg(FakeServer):
    departments: dict[int, str] = field(
        default_factory=lambda: {1: "sales", 2: "tech-support", 3: "billing"}
    )
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    locked: set[int] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(216))

    def error_body(self, status: int) -> dict[str, Any]:
        return {"message": "Too Many Attempts." if status == 429 else "Server Error"}

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/support/tickets", self._create)
        if not self.documented_only:  # NOTE: vpsbg.txt documents the create call alone
            app.router.add_post("/v1/support/tickets/{id}/messages", self._reply)

    def _guard(self, request: web.Request, body: Any) -> web.Response | None:
        if request.headers.get("Accept") != "application/json":
            return web.Response(
                status=406, text="<html>Not Acceptable</html>", content_type="text/html"
            )
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in (WRITE_TOKEN, READ_TOKEN):
            return web.json_response({"message": "Unauthenticated."}, status=401)
        if token == READ_TOKEN:
            return web.json_response({"message": "This action is unauthorized."}, status=403)
        if request.content_type != "multipart/form-data" or not isinstance(body, dict):
            return web.json_response({"message": "Send multipart/form-data."}, status=415)
        return None

    @staticmethod
    def _invalid(errors: dict[str, list[str]]) -> web.Response:
        first = next(iter(errors.values()))[0]
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        return web.json_response({"message": first + more, "errors": errors}, status=422)

    async def _create(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if denied := self._guard(request, body):
            return denied
        errors: dict[str, list[str]] = {}
        department = str(body.get("department_id", ""))
        if not department.isdigit() or int(department) not in self.departments:
            errors["department_id"] = ["The selected department id is invalid."]
        subject = str(body.get("subject", ""))
        if not 3 <= len(subject) <= 255:
            errors["subject"] = ["The subject must be between 3 and 255 characters."]
        message = str(body.get("message", ""))
        if len(message) < 5:
            errors["message"] = ["The message must be at least 5 characters."]
        service_id, service_type = body.get("service_id"), body.get("service_type")
        if service_id is not None and not str(service_id).isdigit():
            errors["service_id"] = ["The service id must be an integer."]
        if service_type is not None and service_type not in ("hosting", "server"):
            errors["service_type"] = ["The selected service type is invalid."]
        files = body.get("attachments[]", [])
        if any(not isinstance(f, dict) for f in files):
            errors["attachments"] = ["The attachments must be files."]
        if errors:
            return self._invalid(errors)
        ticket_id = next(self._ids)
        ticket = {
            "id": ticket_id,
            "status": "opened",
            "subject": subject,
            "created_at": "2026-11-23T10:00:00.000000Z",
            "updated_at": "2026-11-23T10:00:00.000000Z",
            "department": self.departments[int(department)],
            "service_label": None,
            "service_type": "server" if service_type else None,
            "service_id": int(service_id) if service_id else 0,
            "messages": [
                {
                    "id": ticket_id * 10,
                    "content": message,
                    "is_customer": True,
                    "created_at": "2026-11-23T10:00:00.000000Z",
                    "attachments": [
                        {
                            "id": i,
                            "name": f["filename"],
                            "size": len(f["content"]),
                            "mimeType": f["content_type"],
                        }
                        for i, f in enumerate(files)
                    ],
                }
            ],
        }
        self.tickets[ticket_id] = ticket
        return web.json_response(ticket)

    async def _reply(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if denied := self._guard(request, body):
            return denied
        ticket_id = int(request.match_info["id"])
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return web.json_response({"message": "Not found."}, status=404)
        if ticket_id in self.locked:
            return web.json_response({"message": "The ticket is locked."}, status=423)
        if len(str(body.get("message", ""))) < 5:
            return self._invalid({"message": ["The message must be at least 5 characters."]})
        ticket["messages"].append(
            {
                "id": len(ticket["messages"]) + ticket_id * 10,
                "content": body["message"],
                "is_customer": True,
                "created_at": "2026-11-23T10:05:00.000000Z",
                "attachments": [],
            }
        )
        return web.json_response(ticket)
