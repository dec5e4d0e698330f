"""The fakes for the benchmark, in their own process so the load generator does not slow them.

``python -m bench.fakes SLACK_PORT HOSTUP_PORT LATENCY [HOST] [storm]`` serves the fake
Slack Web API and a fake HostUp whose every answer takes LATENCY seconds, plus ``/_bench/*``
endpoints to read what they received and to change the latency; on 127.0.0.1, or HOST
(``0.0.0.0`` in a container that other containers call, as in ``bench.compose_smoke``);
``storm``: Slack's rate limits on and every message kept (``bench.storm``).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from bench.bare_app import BARE_ADD_CALLBACK, BARE_ADD_VIEW, BARE_CALLBACK_ID
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.fakes.slack_limits import RateWindow, check_message

STORM_CHANNELS = 5  # C0STORM0…4, where bench.storm's alerts fire
BENCH_TS = "1733500000.000100"  # the message in C0BENCH that bench.edges reacts to
# modals that are not the bot's ticket form: the bare app's, and Add to a ticket's
NOT_FORMS = (BARE_CALLBACK_ID, BARE_ADD_CALLBACK, "add_to_ticket_modal")


@dataclass
class BenchSlack(FakeSlack):
    cards: list[tuple[str, float]] = field(default_factory=list)
    opened: dict[str, float] = field(default_factory=dict)  # trigger id → when views.open used it
    # every modal the bot opened, as Slack holds it: the load generator submits these
    opened_views: list[tuple[str, str]] = field(default_factory=list)
    # "method key" → when Slack got the call that ends an interactive path (bench.edges)
    stamps: dict[str, float] = field(default_factory=dict)
    # view id → the trigger (``add.<n>``) of an *Add to a ticket* modal not yet updated
    adding: dict[str, str] = field(default_factory=dict)
    # the pickers shown (view id, private_metadata): the load generator submits these, and
    # the picker's next update (the outcome) ends the submit's path
    pickers: list[tuple[str, str]] = field(default_factory=list)
    picked: set[str] = field(default_factory=set)
    # bench.storm: Slack's rate limits on, every message kept (the notes and cards are edited)
    storm: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        # NOTE: bench.edges reacts as, and opens App Home for, users UB0000000…UB0019999 in
        # C0BENCH, whose one message the reactions point at; its step runs are made up too.
        users = [f"UB{n:07d}" for n in range(20_000)]
        for n, user in enumerate(users):
            self.add_user(user, f"b{n}", f"Bench {n}", None)
        self.add_channel("C0BENCH", "bench", members={BOT_USER, "UANA", *users})
        if self.storm:
            self.rates = RateWindow()
            for n in range(STORM_CHANNELS):
                self.add_channel(f"C0STORM{n}", f"storm-{n}", members={BOT_USER, "UANA"})
        self.channels["C0BENCH"].messages.append(
            {"type": "message", "user": "UANA", "text": "disk full on db-1", "ts": BENCH_TS}
        )

    def _stamp(self, method: str, key: object) -> None:
        self.stamps[f"{method} {key}"] = time.time()
        self.calls.clear()  # keep memory flat
        self.ephemerals.clear()

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        result = super()._chat_postEphemeral(args)
        self._stamp("chat.postEphemeral", args.get("user"))
        return result

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        result = super()._views_publish(args)
        self.homes.clear()
        self._stamp("views.publish", args.get("user_id"))
        return result

    def _running(self, args: dict[str, Any]) -> str:
        execution = str(args.get("function_execution_id") or "")
        self.executions.setdefault(execution, "running")  # made up by the load generator
        return super()._running(args)

    def _functions_completeSuccess(self, args: dict[str, Any]) -> dict[str, Any]:
        result = super()._functions_completeSuccess(args)
        self._stamp("functions.completeSuccess", args.get("function_execution_id"))
        return result

    def _use_trigger(self, trigger_id: Any) -> None:
        # NOTE: the load generator cannot ask for trigger ids, so it makes them up and the bench
        # checks each one's age (request sent → views.open) against Slack's 3 s itself.
        self.opened[str(trigger_id)] = time.time()

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        result = super()._views_open(args)
        view = result["view"]
        trigger = str(args.get("trigger_id"))
        if trigger.startswith("add."):  # its path ends when the picker replaces the loading view
            self.adding[str(view["id"])] = trigger
        if view.get("callback_id") not in NOT_FORMS:  # the load generator submits these
            self.opened_views.append((str(view["id"]), str(view.get("private_metadata") or "")))
        return result

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = str(args.get("view_id"))
        if view_id not in self.views:  # views made up by the load generator
            self.views[view_id] = {"hash": "", "blocks": []}
        result = super()._views_update(args)
        if view_id in self.adding:
            self._stamp("views.update", self.adding.pop(view_id))
            view = result["view"]
            if view.get("callback_id") != BARE_ADD_CALLBACK:  # the bare app's are made up
                self.picked.add(view_id)
                self.pickers.append((view_id, str(view.get("private_metadata") or "")))
        elif view_id in self.picked or view_id.startswith(BARE_ADD_VIEW):
            self.picked.discard(view_id)
            self._stamp("views.update", view_id)
        return result

    def _chat_unfurl(self, args: dict[str, Any]) -> dict[str, Any]:
        # NOTE: the messages bench.edges links from are made up (and messages are not kept):
        # each is posted for the unfurl's check, and gone after it
        messages = self.channels[str(args.get("channel"))].messages
        messages.append({"type": "message", "user": "UANA", "ts": str(args.get("ts"))})
        try:
            result = super()._chat_unfurl(args)
        finally:
            messages.pop()
        self.unfurls.clear()
        self._stamp("chat.unfurl", args.get("ts"))
        return result

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.storm:
            return super()._chat_update(args)
        # NOTE: the messages are not kept (below), so a card's edit (bench.soak closes
        # tickets) finds none: checked and answered as if it had
        check_message(args.get("text"), args.get("blocks"))
        return {"channel": str(args.get("channel")), "ts": str(args.get("ts"))}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        result = super()._chat_postMessage(args)
        self.cards.append((str(args.get("text")), time.time()))
        if not self.storm:
            self.channels[result["channel"]].messages.clear()  # keep memory flat
        return result

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_get("/_bench/cards", self._cards)
        app.router.add_get("/_bench/opened", self._opened)
        app.router.add_get("/_bench/views", self._views)
        app.router.add_get("/_bench/stamps", self._stamps)
        app.router.add_get("/_bench/pickers", self._pickers)
        app.router.add_post("/_bench/post", self._post)
        app.router.add_get("/_bench/storm", self._storm)

    async def _cards(self, _: web.Request) -> web.Response:
        return web.json_response(self.cards)

    async def _opened(self, _: web.Request) -> web.Response:
        return web.json_response(self.opened)

    async def _post(self, request: web.Request) -> web.Response:
        """Another app (an alert tool) posts the JSON body in ``?channel=``."""
        return web.json_response(self.post_as_bot(request.query["channel"], await request.json()))

    async def _storm(self, _: web.Request) -> web.Response:
        """What the storm left: 429s by method, calls by method, each storm channel's messages."""
        return web.json_response(
            {
                "limited": dict(Counter(self.limited)),
                "calls": dict(Counter(c.method for c in self.calls)),
                "channels": {
                    cid: channel.messages
                    for cid, channel in self.channels.items()
                    if cid.startswith("C0STORM")
                },
            }
        )

    async def _pickers(self, _: web.Request) -> web.Response:
        """The pickers shown since the last call (each is submitted once)."""
        pickers, self.pickers = self.pickers, []
        return web.json_response(pickers)

    async def _stamps(self, _: web.Request) -> web.Response:
        return web.json_response(self.stamps)

    async def _views(self, _: web.Request) -> web.Response:
        return web.json_response(self.opened_views)

    def _store_view(self, view: Any, view_id: str | None = None) -> dict[str, Any]:
        result = super()._store_view(view, view_id)
        if not self.storm:
            self.calls.clear()  # keep memory flat over thousands of calls
        return result


@dataclass
class BenchHostUp(FakeHostUp):
    created: list[tuple[str, float]] = field(default_factory=list)

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_get("/_bench/tickets", self._created)
        app.router.add_get("/_bench/ids", self._ids)
        app.router.add_post("/_bench/latency", self._set_latency)
        app.router.add_get("/_bench/comments", self._comments)
        app.router.add_post("/_bench/close", self._close)

    async def record(self, request: web.Request) -> Any:
        body = await super().record(request)
        self.requests.clear()  # keep memory flat
        if request.method == "POST" and request.path == "/api/v2/support/tickets":
            self.created.append((str((body or {}).get("subject")), time.time()))
        return body

    async def _created(self, _: web.Request) -> web.Response:
        return web.json_response(self.created)

    async def _ids(self, request: web.Request) -> web.Response:
        """(id, number) of the tickets whose subject starts with ``?subject=``."""
        prefix = request.query["subject"]
        return web.json_response(
            [
                [tid, t["number"]]
                for tid, t in self.tickets.items()
                if str(t.get("subject")).startswith(prefix)
            ]
        )

    async def _comments(self, _: web.Request) -> web.Response:
        """Comments (replies) each ticket got, by ticket id."""
        return web.json_response(
            {str(tid): len(t.get("messages") or []) for tid, t in self.tickets.items()}
        )

    async def _close(self, request: web.Request) -> web.Response:
        """Close every open ticket filed more than ``older`` seconds ago (staff at work)."""
        before = time.time() - float(request.query["older"])
        closed = 0
        for ticket in self.tickets.values():
            filed = datetime.fromisoformat(ticket["createdAt"].replace("Z", "+00:00"))
            if ticket["status"] != "closed" and filed.timestamp() < before:
                ticket["status"] = "closed"
                closed += 1
        return web.json_response({"closed": closed})

    async def _set_latency(self, request: web.Request) -> web.Response:
        self.latency = float(request.query["seconds"])
        return web.json_response({"latency": self.latency})


async def main(
    slack_port: int, hostup_port: int, latency: float, host: str = "127.0.0.1", storm: bool = False
) -> None:
    slack, hostup = BenchSlack(storm=storm), BenchHostUp(latency=latency)
    for fake, port in ((slack, slack_port), (hostup, hostup_port)):
        app = web.Application(middlewares=[fake._switches])
        fake.routes(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port, backlog=1024).start()
    print("ready", flush=True)
    stop = asyncio.Event()
    # NOTE: as a container's PID 1 (bench.compose_smoke) SIGTERM has no default action
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


if __name__ == "__main__":
    extra = sys.argv[4:]  # [HOST] [storm]
    host = next((a for a in extra if a != "storm"), "127.0.0.1")
    asyncio.run(
        main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), host, "storm" in extra)
    )
