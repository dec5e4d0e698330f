"""The fakes for ``bench.poller_scale``, in their own process so the replicas' CPU is theirs.

``python -m bench.poll_fakes PLAN_JSON`` serves the fake Slack API and, for each provider in
the plan, its fake (``tests/fakes``) holding the plan's open tickets, on one port per replica
(the same fake behind both: a replica is told apart by the port it called). Every answer takes
``latency`` seconds. A provider with a ``limit`` counts every request to it per window of
``window`` seconds, across replicas (one account, one API key), and answers the one past the
limit 429 with ``Retry-After`` (the seconds until the window resets) and ``X-RateLimit-*``, as
HostUp's docs say; BillingServ's say 429 with Retry-After too (the others document no limit).

On the Slack port, ``GET /_poll/log`` returns what the providers received and answered, and
``GET /_poll/peaks`` the most requests each replica (and both) had in flight per provider,
``GET /_poll/told`` every 429 answered (when, to whom, for which provider, Retry-After);
``POST /_poll/stall?replica=b``: that replica's requests are never answered from then on.
"""

from __future__ import annotations

import asyncio
import json
import math
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer, Handler
from tests.fakes.slack_api import FakeSlack
from tests.followed import put_at_fake
from tests.provider_cases import BY_KIND

# an answer: (arrived at, replica, provider, ticket read or "" for other calls, status)
Entry = tuple[float, str, str, str, int]


def ticket_read(kind: str, request: web.Request) -> str | None:
    """The ticket a status read asks for (ISPCRM's reads the whole list: "*"); None if the
    request is no status read."""
    path = request.path
    if request.method != "GET":
        return None
    if kind == "hostup" and path.startswith("/api/v2/support/tickets/"):
        return path.rsplit("/", 1)[1]
    if kind == "billingserv" and path == "/api/v2/ticket/get":
        return request.query.get("id", "")
    if kind == "pulse" and path.startswith("/tickets/"):
        return path.rsplit("/", 1)[1]
    if kind == "ispcrm" and path.endswith("/getCustomerTickets"):
        return "*"
    return None


@dataclass
class Watched:
    """One provider's fake behind the ports of every replica."""

    kind: str
    fake: FakeServer
    replicas: dict[int, str]  # local port → replica
    latency: float
    log: list[Entry]
    told: list[tuple[float, str, str, int]]  # each 429: at, replica, provider, Retry-After
    limit: int | None = None  # requests per window, across replicas
    stalled: set[str] = field(default_factory=set)  # replicas whose requests are never answered
    window: float = 10.0
    in_flight: Counter[str] = field(default_factory=Counter)
    peaks: Counter[str] = field(default_factory=Counter)  # per replica, and "both"
    _window_at: float = 0.0
    _count: int = 0

    def _limited(self, now: float, replica: str) -> web.Response | None:
        if self.limit is None:
            return None
        start = math.floor(now / self.window) * self.window
        if start != self._window_at:
            self._window_at, self._count = start, 0
        self._count += 1
        if self._count <= self.limit:
            return None
        reset = start + self.window
        retry_after = max(1, math.ceil(reset - now))
        self.told.append((now, replica, self.kind, retry_after))
        return web.json_response(
            self.fake.error_body(429),
            status=429,
            headers={
                "Retry-After": str(retry_after),
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(reset)),
            },
        )

    @web.middleware
    async def watch(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        now = time.time()
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        replica = self.replicas.get(sockname[1] if sockname else 0, "?")
        ticket = ticket_read(self.kind, request)
        is_login = request.method == "POST" and "login" in request.path.lower()
        # NOTE: the bare poller (bench.bare_poller) is another account: not counted
        limited = None if is_login or replica == "bare" else self._limited(now, replica)
        if limited is not None:
            self.log.append((now, replica, self.kind, ticket or "", 429))
            return limited
        if replica in self.stalled:  # NOTE: the replica is about to be killed, reads in hand
            self.log.append((now, replica, self.kind, ticket or "", 0))
            await asyncio.Event().wait()
        self.in_flight[replica] += 1
        self.peaks[replica] = max(self.peaks[replica], self.in_flight[replica])
        both = sum(self.in_flight.values())
        self.peaks["both"] = max(self.peaks["both"], both)
        try:
            await asyncio.sleep(self.latency)
            response = await handler(request)
        finally:
            self.in_flight[replica] -= 1
        self.log.append((now, replica, self.kind, ticket or "", response.status))
        self.fake.requests.clear()  # NOTE: memory flat over a long run
        return response


@dataclass
class PollSlack(FakeSlack):
    watched: list[Watched] = field(default_factory=list)
    log: list[Entry] = field(default_factory=list)
    told: list[tuple[float, str, str, int]] = field(default_factory=list)

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_get("/_poll/log", self._log)
        app.router.add_get("/_poll/peaks", self._peaks)
        app.router.add_get("/_poll/told", self._told)
        app.router.add_post("/_poll/stall", self._stall)

    async def _stall(self, request: web.Request) -> web.Response:
        for watched in self.watched:
            watched.stalled.add(request.query["replica"])
        return web.json_response({"stalled": request.query["replica"]})

    async def _told(self, _: web.Request) -> web.Response:
        return web.json_response(self.told)

    async def _log(self, request: web.Request) -> web.Response:
        since = float(request.query.get("since", "0"))
        return web.json_response([entry for entry in self.log if entry[0] >= since])

    async def _peaks(self, _: web.Request) -> web.Response:
        return web.json_response({w.kind: dict(w.peaks) for w in self.watched})

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        result = super()._chat_postMessage(args)
        self.calls.clear()  # keep memory flat
        return result


async def serve(app: web.Application, ports: list[int]) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    for port in ports:
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()


async def main(plan: dict[str, Any]) -> None:
    slack = PollSlack()
    for kind, spec in plan["providers"].items():
        fake = BY_KIND[kind].fake()
        put_at_fake(fake, kind, range(spec["first"], spec["first"] + spec["tickets"]))
        watched = Watched(
            kind,
            fake,
            {port: name for name, port in spec["ports"].items()},
            plan["latency"],
            slack.log,
            slack.told,
            limit=spec.get("limit"),
            window=spec.get("window", 10.0),
        )
        slack.watched.append(watched)
        app = web.Application(middlewares=[watched.watch, fake._switches])
        fake.routes(app)
        await serve(app, list(spec["ports"].values()))
    app = web.Application(middlewares=[slack._switches])
    slack.routes(app)
    await serve(app, [plan["slack"]])
    print("ready", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
