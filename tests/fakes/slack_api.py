"""A fake Slack Web API: records every call, rejects unknown tokens, enforces Slack's limits.

Trigger ids are single-use and expire after 3 s; views and messages are checked against the
limits in ``slack_limits``; channel membership decides whether the bot may post.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web

from tests.fakes.server import FakeServer
from tests.fakes.slack_limits import (
    LimitError,
    RateWindow,
    check_blocks,
    check_home,
    check_message,
    check_view,
)

BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-1-A0TICKET-test-app-token"
BOT_USER = "UBOT"
TEAM = "T0001"
TRIGGER_TTL = 3.0


@dataclass
class Channel:
    id: str
    name: str
    private: bool = False
    members: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)
    ext_shared: bool = False  # Slack Connect: shared with another organisation


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    ok: bool = False


@dataclass
class FakeSlack(FakeServer):
    calls: list[Call] = field(default_factory=list)
    channels: dict[str, Channel] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)
    scopes: set[str] = field(
        default_factory=lambda: {
            "commands",
            "chat:write",
            "channels:join",
            "users:read",
            "users:read.email",
            "usergroups:read",
            "channels:read",
            "groups:read",
            "channels:history",
            "groups:history",
            "reactions:write",
            "reactions:read",
            "files:read",
            "links:read",
            "links:write",
        }
    )
    files: dict[str, tuple[dict[str, Any], bytes]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)  # posts to response_urls
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (method, error)
    # Socket Mode: the connections open now, and the acks they sent back by envelope id
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    socket_acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)  # user → published home
    unfurls: list[dict[str, Any]] = field(default_factory=list)  # what chat.unfurl showed
    ephemerals: list[dict[str, Any]] = field(default_factory=list)  # what chat.postEphemeral showed
    # Workflow Builder step runs: function_execution_id → "running" | "completed" | "failed"
    executions: dict[str, str] = field(default_factory=dict)
    step_outputs: tuple[str, ...] = ("ticket_number",)  # the manifest's required outputs
    # file downloads: fid → where the download redirects; fid → bytes streamed (a body that
    # never matches its files.info size) and how many of them went out before the bot hung up
    file_redirects: dict[str, str] = field(default_factory=dict)
    file_streams: dict[str, int] = field(default_factory=dict)
    file_bytes_sent: dict[str, int] = field(default_factory=dict)
    _triggers: dict[str, tuple[float, bool]] = field(default_factory=dict)
    # Slack's rate limits per method (slack_limits.RATE_LIMITS), when a test turns them on;
    # ``limited`` lists each call answered 429
    rates: RateWindow | None = None
    limited: list[str] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.add_channel("C0GENERAL", "general", members={BOT_USER, "UANA"})
        self.add_user("UANA", "ana", "Ana Admin", "ana@example.com")

    # --- set-up helpers ----------------------------------------------------------------------

    def add_channel(
        self,
        cid: str,
        name: str,
        *,
        private: bool = False,
        members: set[str] | None = None,
        ext_shared: bool = False,
    ) -> Channel:
        channel = Channel(cid, name, private, set(members or ()), ext_shared=ext_shared)
        self.channels[cid] = channel
        return channel

    def add_file(
        self, fid: str, name: str, content: bytes, mime: str = "text/plain"
    ) -> dict[str, Any]:
        """A file on a message, as it appears in the message's ``files`` list."""
        info = {
            "id": fid,
            "name": name,
            "title": name,
            "mimetype": mime,
            "size": len(content),
            "url_private": f"{self.url}/files-pri/{fid}/{quote(name, safe='')}",
            "url_private_download": f"{self.url}/files-pri/{fid}/download/{quote(name, safe='')}",
        }
        self.files[fid] = (info, content)
        return info

    def add_user(self, uid: str, name: str, real_name: str, email: str | None) -> None:
        profile: dict[str, Any] = {"display_name": name, "real_name": real_name}
        if email:
            profile["email"] = email
        self.users[uid] = {
            "id": uid,
            "team_id": TEAM,
            "name": name,
            "real_name": real_name,
            "profile": profile,
            "is_bot": False,
        }

    def add_bot_user(self, uid: str, name: str) -> None:
        self.add_user(uid, name, name, None)
        self.users[uid]["is_bot"] = True

    def post_as_bot(self, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Another app (an alert tool) posts ``message`` in the channel; returns it, stored."""
        stored = {**message, "ts": message.get("ts") or f"{time.time():.6f}"}
        self.channels[channel_id].messages.append(stored)
        return stored

    def start_execution(self) -> str:
        """A workflow step run Slack is about to deliver (``function_executed``)."""
        execution = f"Fx{next(self._seq):010d}"
        self.executions[execution] = "running"
        return execution

    def trigger(self) -> str:
        """A fresh trigger_id, as Slack puts in a command or shortcut payload."""
        tid = f"{next(self._seq)}.{int(time.time())}.trigger"
        self._triggers[tid] = (time.monotonic(), False)
        return tid

    def response_url(self) -> str:
        return f"{self.url}/respond/{next(self._seq)}"

    # --- queries for tests -------------------------------------------------------------------

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The calls to ``method`` that Slack accepted (rejected ones are in ``rejected``)."""
        return [c.args for c in self.calls if c.method == method and c.ok]

    async def wait_for(
        self, method: str, count: int = 1, within: float = 5.0, **match: Any
    ) -> list[dict[str, Any]]:
        """Wait until ``count`` calls to ``method`` (whose args include ``match``) arrived."""
        deadline = time.monotonic() + within
        while True:
            found = [
                a for a in self.calls_to(method) if all(a.get(k) == v for k, v in match.items())
            ]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [c.method for c in self.calls]
                raise AssertionError(
                    f"no {count}× {method} {match} within {within}s; saw {seen}"
                    f"; rejected {self.rejected}"
                )
            await asyncio.sleep(0.01)

    def view(self, view_id: str) -> dict[str, Any]:
        return self.views[view_id]

    async def wait_for_view(self, has_block: str, within: float = 5.0) -> str:
        """The id of the first modal that shows a block ``has_block``, once it does."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for view_id, view in self.views.items():
                if any(b.get("block_id") == has_block for b in view["blocks"]):
                    return view_id
            await asyncio.sleep(0.01)
        raise AssertionError(f"no view with block {has_block!r}; rejected {self.rejected}")

    async def until(self, check: Callable[[], Any], what: str, within: float = 5.0) -> Any:
        """Wait until ``check()`` returns something truthy; return it."""
        deadline = time.monotonic() + within
        while not (found := check()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; rejected {self.rejected}")
            await asyncio.sleep(0.01)
        return found

    async def wait_for_text(self, view_id: str, text: str, within: float = 5.0) -> str:
        """Wait until the modal shows ``text``; returns everything it shows."""
        deadline = time.monotonic() + within
        while text not in (shown := self.view_text(view_id)):
            if time.monotonic() > deadline:
                raise AssertionError(f"the modal never showed {text!r}; it shows {shown}")
            await asyncio.sleep(0.01)
        return shown

    async def wait_for_response(self, nth: int = 1, within: float = 5.0) -> dict[str, Any]:
        """The ``nth`` message posted to a response_url, once it arrives."""
        deadline = time.monotonic() + within
        while len(self.responses) < nth:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {nth} response_url posts; saw {self.calls}")
            await asyncio.sleep(0.01)
        return self.responses[nth - 1]

    def view_text(self, view_id: str) -> str:
        """Everything the modal shows, as one string, for assertions."""
        return json.dumps(self.views[view_id]["blocks"], ensure_ascii=False)

    # --- the API -----------------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/respond/{rid}", self._respond)
        app.router.add_get("/files-pri/{fid}/download/{name}", self._download)
        app.router.add_get("/socket", self._socket)

    def error_body(self, status: int) -> dict[str, Any]:
        return {"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}

    async def _download(self, request: web.Request) -> web.StreamResponse:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        fid = request.match_info["fid"]
        if fid in self.file_redirects:
            raise web.HTTPFound(self.file_redirects[fid])
        if fid in self.file_streams and token == BOT_TOKEN:
            return await self._stream(request, fid, self.file_streams[fid])
        found = self.files.get(fid)
        if token != BOT_TOKEN or found is None or "files:read" not in self.scopes:
            # NOTE: as real Slack does: a 200 sign-in page, not an error status
            return web.Response(text="<html>Sign in to Slack</html>", content_type="text/html")
        info, content = found
        return web.Response(body=content, content_type=str(info["mimetype"]))

    async def _stream(self, request: web.Request, fid: str, total: int) -> web.StreamResponse:
        """``total`` bytes in 64 KB chunks, counting what went out until the reader hung up."""
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        await response.prepare(request)
        chunk = b"x" * 65_536
        self.file_bytes_sent[fid] = 0
        try:
            while self.file_bytes_sent[fid] < total:
                await response.write(chunk)
                self.file_bytes_sent[fid] += len(chunk)
        except (ConnectionError, RuntimeError):
            return response
        await response.write_eof()
        return response

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        if "files:read" not in self.scopes:
            raise SlackError("missing_scope")
        found = self.files.get(str(args.get("file")))
        if found is None:
            raise SlackError("file_not_found")
        return {"file": found[0]}

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:  # NOTE: a response_url takes a message, with a message's limits (or a deletion)
            if not body.get("delete_original"):
                check_message(body.get("text"), body.get("blocks"))
        except LimitError as exc:
            self.rejected.append(("response_url", str(exc)))
            return web.Response(status=400, text="invalid_blocks")
        self.responses.append(body)
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        token = token or str(args.pop("token", ""))
        for key in ("blocks", "view", "outputs"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        call = Call(method, args)
        self.calls.append(call)
        if method == "apps.connections.open":  # the one method that takes the app token
            return self._connections_open(call, token)
        if token != BOT_TOKEN:
            error = "not_allowed_token_type" if token.startswith("xapp-") else "invalid_auth"
            return self._error(method, error)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return self._error(method, "unknown_method")
        if self.rates and (wait := self.rates.allow(method, str(args.get("channel") or ""))):
            self.limited.append(method)
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(wait)},
            )
        try:
            result: dict[str, Any] = handler(args)
        except LimitError as exc:
            return self._error(method, "invalid_arguments", detail=str(exc))
        except SlackError as exc:
            return self._error(method, exc.code)
        call.ok = True
        headers = {"x-oauth-scopes": ",".join(sorted(self.scopes))}  # as Slack sends them
        return web.json_response({"ok": True, **result}, headers=headers)

    def _connections_open(self, call: Call, token: str) -> web.Response:
        if token.startswith("xoxb-"):
            return self._error(call.method, "not_allowed_token_type")
        if token != APP_TOKEN:
            return self._error(call.method, "invalid_auth")
        call.ok = True
        return web.json_response({"ok": True, "url": f"{self.url.replace('http', 'ws')}/socket"})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """A Socket Mode connection: ``hello`` first, then envelopes; acks are recorded."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": len(self.sockets)})
        try:
            async for message in socket:
                if message.type == web.WSMsgType.TEXT:
                    data = json.loads(message.data)
                    if "envelope_id" in data:
                        self.socket_acks[str(data["envelope_id"])] = data
        finally:
            self.sockets.remove(socket)
        return socket

    async def deliver(
        self, kind: str, payload: dict[str, Any], within: float = 5.0, *, socket: int = 0
    ) -> dict[str, Any]:
        """Send one envelope (``slash_commands``, ``interactive``, ``events_api``) over an
        open connection (``socket``: which, in the order they connected; Slack sends each
        envelope to one of an app's connections), and return the app's ack once it arrives."""
        envelope_id = f"env-{next(self._seq)}"
        await self.until(lambda: len(self.sockets) > socket, "a Socket Mode connection", within)
        await self.sockets[socket].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        ack: dict[str, Any] = await self.until(
            lambda: self.socket_acks.get(envelope_id), f"the ack of {envelope_id}", within
        )
        return ack

    def _error(self, method: str, code: str, detail: str = "") -> web.Response:
        self.rejected.append((method, f"{code} {detail}".strip()))
        body: dict[str, Any] = {"ok": False, "error": code}
        if detail:
            body["response_metadata"] = {"messages": [f"[ERROR] {detail}"]}
        return web.json_response(body)

    def _auth_test(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://fake.slack.com/",
            "team": "Fake",
            "user": "ticketbot",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": "BBOT",
        }

    def _use_trigger(self, trigger_id: Any) -> None:
        entry = self._triggers.get(str(trigger_id))
        if entry is None:
            raise SlackError("invalid_trigger_id")
        issued, used = entry
        if used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - issued > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
        self._triggers[str(trigger_id)] = (issued, True)

    def _store_view(self, view: Any, view_id: str | None = None) -> dict[str, Any]:
        check_view(view)
        view_id = view_id or f"V{next(self._seq):08d}"
        stored = {
            **view,
            "id": view_id,
            "hash": f"{time.time():.6f}.{next(self._seq)}",
            "team_id": TEAM,
            "state": {"values": {}},
        }
        self.views[view_id] = stored
        return {"view": stored}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        self._use_trigger(args.get("trigger_id"))
        return self._store_view(args.get("view"))

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        if view_id not in self.views:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != self.views[view_id]["hash"]:
            raise SlackError("hash_conflict")
        return self._store_view(args.get("view"), view_id)

    def _channel_for_post(self, channel_id: Any) -> Channel:
        cid = str(channel_id)
        if cid in self.users:  # posting to a user id opens the bot's DM with them
            return self.channels.setdefault(
                f"D{cid}", Channel(f"D{cid}", cid, True, {BOT_USER, cid})
            )
        channel = self.channels.get(cid)
        if channel is None or (channel.private and BOT_USER not in channel.members):
            raise SlackError("channel_not_found")
        if BOT_USER not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for_post(args.get("channel"))
        check_message(args.get("text"), args.get("blocks"))
        ts = f"{time.time():.6f}"
        message = {
            "ts": ts,
            "text": args.get("text"),
            "blocks": args.get("blocks"),
            "thread_ts": args.get("thread_ts"),
            "user": BOT_USER,
        }
        channel.messages.append(message)
        return {"channel": channel.id, "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for_post(args.get("channel"))
        check_message(args.get("text"), args.get("blocks"))
        for message in channel.messages:
            if message["ts"] == args.get("ts"):
                message.update(text=args.get("text"), blocks=args.get("blocks"))
                return {"channel": channel.id, "ts": message["ts"]}
        raise SlackError("message_not_found")

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for_post(args.get("channel"))
        if str(args.get("user")) not in channel.members:
            raise SlackError("user_not_in_channel")
        check_message(args.get("text"), args.get("blocks"))
        self.ephemerals.append(args)
        return {"message_ts": f"{time.time():.6f}"}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user_id") or "")
        if user not in self.users:
            raise SlackError("user_not_found")
        view: dict[str, Any] = args["view"] if isinstance(args.get("view"), dict) else {}
        check_home(view)
        self.homes[user] = view
        return {"view": {**view, "id": f"VH{user}"}}

    def _functions_completeSuccess(self, args: dict[str, Any]) -> dict[str, Any]:
        execution = self._running(args)
        outputs = args.get("outputs")
        if not isinstance(outputs, dict) or any(
            not isinstance(outputs.get(k), str) or not outputs[k] for k in self.step_outputs
        ):
            raise SlackError("parameter_validation_failed")
        self.executions[execution] = "completed"
        return {}

    def _functions_completeError(self, args: dict[str, Any]) -> dict[str, Any]:
        execution = self._running(args)
        if not str(args.get("error") or "").strip():
            raise SlackError("invalid_arguments")
        self.executions[execution] = "failed"
        return {}

    def _running(self, args: dict[str, Any]) -> str:
        execution = str(args.get("function_execution_id") or "")
        if execution not in self.executions:
            raise SlackError("function_execution_not_found")
        if self.executions[execution] != "running":
            raise SlackError("execution_not_in_running_state")
        return execution

    def _chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        cid, ts = args.get("channel"), str(args.get("message_ts"))
        return {
            "channel": cid,
            "permalink": f"https://fake.slack.com/archives/{cid}/p{ts.replace('.', '')}",
        }

    def _conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(args.get("channel")))
        if channel is None:
            raise SlackError("channel_not_found")
        if channel.private:
            raise SlackError("method_not_supported_for_channel_type")
        channel.members.add(BOT_USER)
        return {"channel": {"id": channel.id, "name": channel.name}}

    def _history_channel(self, args: dict[str, Any]) -> Channel:
        channel = self.channels.get(str(args.get("channel")))
        needed = "groups:history" if channel is not None and channel.private else "channels:history"
        if needed not in self.scopes:
            raise SlackError("missing_scope")
        if channel is None or (BOT_USER not in channel.members and channel.private):
            raise SlackError("channel_not_found")
        return channel

    @staticmethod
    def _page(messages: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
        """Newest first, between ``oldest`` and ``latest`` (either end included with
        ``inclusive``), ``limit`` at a time (at most 999), as Slack pages."""
        oldest = float(args.get("oldest") or 0)
        latest = float(args.get("latest") or "inf")
        inclusive = str(args.get("inclusive")).lower() in ("true", "1")

        def within(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        found = sorted(
            (m for m in messages if within(float(m["ts"]))), key=lambda m: -float(m["ts"])
        )
        start = int(args.get("cursor") or 0)
        limit = min(int(args.get("limit") or 100), 999)
        page = found[start : start + limit]
        more = start + limit < len(found)
        return {
            "messages": [dict(m) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages (a thread's replies are not in the channel's history)."""
        channel = self._history_channel(args)
        top = [m for m in channel.messages if not m.get("thread_ts") or m["thread_ts"] == m["ts"]]
        return self._page(top, args)

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread: its parent and its replies."""
        channel = self._history_channel(args)
        ts = str(args.get("ts") or "")
        # NOTE: the ts of a reply names its thread, as the parent's does
        parent = next((m for m in channel.messages if m["ts"] == ts), None)
        if parent is not None and parent.get("thread_ts"):
            ts = str(parent["thread_ts"])
        thread = [m for m in channel.messages if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            raise SlackError("thread_not_found")
        return self._page(thread, args)

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(args.get("channel")))
        if channel is None or BOT_USER not in channel.members:
            raise SlackError("channel_not_found")
        if not args.get("name") or not args.get("timestamp"):
            raise SlackError("invalid_arguments")
        return {}

    def _readable(self, args: dict[str, Any]) -> Channel:
        """The channel a conversations.* read names, as Slack checks it: the scope for its
        kind, and a private one only when the bot is in it."""
        channel = self.channels.get(str(args.get("channel")))
        needed = "groups:read" if channel is not None and channel.private else "channels:read"
        if needed not in self.scopes:
            raise SlackError("missing_scope")
        if channel is None or (channel.private and BOT_USER not in channel.members):
            raise SlackError("channel_not_found")
        return channel

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable(args)
        return {
            "channel": {
                "id": channel.id,
                "name": channel.name,
                "is_channel": not channel.private,
                "is_private": channel.private,
                "is_im": channel.id.startswith("D"),
                "is_shared": channel.ext_shared,
                "is_ext_shared": channel.ext_shared,
                "is_member": BOT_USER in channel.members,
            }
        }

    def _chat_unfurl(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.unfurl as Slack checks it: links:write, a posted message (channel and ts) or a
        composer's unfurl_id and source, and ``unfurls`` a JSON map of URL → attachment whose
        blocks keep a message's limits."""
        if "links:write" not in self.scopes:
            raise SlackError("missing_scope")
        unfurls = args.get("unfurls")
        if isinstance(unfurls, str):
            unfurls = json.loads(unfurls)
        if not isinstance(unfurls, dict) or not unfurls:
            raise SlackError("invalid_unfurls_format")
        if args.get("unfurl_id"):
            if args.get("source") not in ("composer", "conversations_history"):
                raise SlackError("invalid_source")
        else:
            channel = self.channels.get(str(args.get("channel")))
            if channel is None:
                raise SlackError("channel_not_found")
            if not any(m["ts"] == args.get("ts") for m in channel.messages):
                raise SlackError("cannot_find_message")
        for url, unfurl in unfurls.items():
            if not str(url).startswith(("http://", "https://")) or not isinstance(unfurl, dict):
                raise SlackError("invalid_unfurls_format")
            if "blocks" in unfurl:
                check_blocks(unfurl["blocks"], limit=50, where=f"unfurls[{url}].blocks")
        self.unfurls.append({**args, "unfurls": unfurls})
        return {}

    def _conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        """Members in pages (``limit``, ``cursor``), as Slack pages them."""
        channel = self._readable(args)
        members = sorted(channel.members)
        start = int(args.get("cursor") or 0)
        limit = min(int(args.get("limit") or 100), 1000)
        page = members[start : start + limit]
        more = start + limit < len(members)
        return {
            "members": page,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email", "")).lower()
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == email:
                return {"user": user}
        raise SlackError("users_not_found")

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = self.groups.get(str(args.get("usergroup")))
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": sorted(group)}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}


class SlackError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
