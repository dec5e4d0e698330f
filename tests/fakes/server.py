"""A loopback HTTP fake: an aiohttp app on 127.0.0.1 with failure switches every fake shares."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Failure:
    """What the next matching requests get instead of an answer."""

    status: int | None = None  # e.g. 500 or 429
    retry_after: int | None = None
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # seconds to wait before handling
    delay_after: float = 0.0  # seconds to wait after handling (the work is done, the answer late)
    status_after: int | None = None  # handled (the work is done), then this status instead
    hold: asyncio.Event | None = None  # not handled until the test sets it
    times: int = 1
    path_contains: str = ""
    method: str = ""  # only requests with this method ("" for any)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeServer:
    """Subclasses add routes in ``routes`` and build error bodies in ``error_body``."""

    requests: list[Recorded] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    latency: float = 0.0
    # rewrites successful JSON answers (e.g. drop a required field) to test tolerance
    mangle: Callable[[Any], Any] | None = None
    # a strict stand-in: only the endpoints the provider's create-call doc names (the rest 404)
    documented_only: bool = False
    # every request that arrived, routed or not: (method, raw path with its query)
    seen: list[tuple[str, str]] = field(default_factory=list)
    redirect_to: str | None = None  # every request is answered 307 to this URL
    _runner: web.AppRunner | None = None
    url: str = ""

    def routes(self, app: web.Application) -> None:
        raise TypeError("subclasses add their routes")

    def error_body(self, status: int) -> dict[str, Any]:
        return {"error": status}

    def fail(self, **kwargs: Any) -> Failure:
        failure = Failure(**kwargs)
        self.failures.append(failure)
        return failure

    def _take_failure(self, path: str, method: str) -> Failure | None:
        for failure in self.failures:
            if failure.method and failure.method != method:
                continue
            if failure.times > 0 and failure.path_contains in path:
                failure.times -= 1
                if failure.times == 0:
                    self.failures.remove(failure)
                return failure
        return None

    @web.middleware
    async def _switches(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.seen.append((request.method, request.raw_path))
        if self.redirect_to is not None:
            raise web.HTTPTemporaryRedirect(self.redirect_to)
        if self.latency:
            await asyncio.sleep(self.latency)
        failure = self._take_failure(request.path, request.method)
        if failure is not None:
            if failure.hold is not None:
                await self.record(request)
                await failure.hold.wait()
            if failure.delay:
                await asyncio.sleep(failure.delay)
            if failure.drop or failure.status is not None:
                await self.record(request)  # what the provider received, even if it failed
            if failure.drop:
                assert request.transport is not None
                request.transport.abort()
                raise web.HTTPInternalServerError  # never reaches the client
            if failure.status is not None:
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
                return web.json_response(
                    self.error_body(failure.status), status=failure.status, headers=headers
                )
            response = await handler(request)
            if failure.delay_after:
                await asyncio.sleep(failure.delay_after)
            if failure.status_after is not None:  # e.g. a gateway's 504 after the work was done
                return web.json_response(
                    self.error_body(failure.status_after), status=failure.status_after
                )
            return response
        response = await handler(request)
        if (
            self.mangle is not None
            and isinstance(response, web.Response)
            and (response.status < 300 and response.content_type == "application/json")
        ):
            assert response.text is not None
            return web.json_response(self.mangle(json.loads(response.text)), status=response.status)
        return response

    async def start(self) -> str:
        app = web.Application(middlewares=[self._switches])
        self.routes(app)
        # NOTE: a request a test left hanging (a held answer) must not hold up the teardown
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def record(self, request: web.Request) -> Any:
        """Parse and record the request body (JSON, form or multipart)."""
        body: Any = None
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.json()
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            body = await _form(request)
        self.requests.append(Recorded(request.method, request.path, dict(request.headers), body))
        return body


def _part(value: object) -> Any:
    if isinstance(value, web.FileField):
        return {
            "filename": value.filename,
            "content": value.file.read(),
            "content_type": value.content_type,
        }
    return value.decode() if isinstance(value, bytes | bytearray) else value


async def _form(request: web.Request) -> dict[str, Any]:
    form: dict[str, Any] = {}
    data = await request.post()
    for key in data:
        values = data.getall(key)
        parsed = [_part(v) for v in values]
        form[key] = parsed if key.endswith("[]") else parsed[0]
    return form
