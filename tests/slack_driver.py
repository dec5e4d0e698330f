"""Plays Slack's side: signs requests exactly as Slack does and fills modals like a user.

Slash commands are form bodies; interactivity is a form with one ``payload`` field of JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.safe_http import tls_context
from tests.fakes.slack_api import TEAM, FakeSlack

SIGNING_SECRET = "test-signing-secret-8c1d"


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _state_entry(element: dict[str, Any], value: str | None) -> dict[str, Any]:
    etype = element["type"]
    if etype == "checkboxes":  # what is ticked: the initial options unless told otherwise
        picked = element.get("initial_options") or []
        if value is not None:
            picked = [o for o in element["options"] if o["value"] in value.split(",")]
        return {"type": etype, "selected_options": picked}
    if etype == "static_select":
        if value is None:
            initial = element.get("initial_option")
            return {"type": etype, "selected_option": initial}
        option = next((o for o in element["options"] if o["value"] == value), None)
        assert option is not None, f"{value!r} is not an option of {element['action_id']}"
        return {"type": etype, "selected_option": option}
    if value is None:
        value = element.get("initial_value")
    return {"type": etype, "value": value}


def command_payload(slack: FakeSlack, text: str = "", user: str = "UANA") -> dict[str, Any]:
    """A ``/ticket`` payload as Socket Mode carries it (HTTP sends the same as a form)."""
    return {
        "command": "/ticket",
        "text": text,
        "team_id": TEAM,
        "user_id": user,
        "user_name": slack.users.get(user, {}).get("name", user),
        "channel_id": "C0GENERAL",
        "trigger_id": slack.trigger(),
        "response_url": slack.response_url(),
    }


def fill(view: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """``view.state.values`` as Slack builds it: typed values, else each input's initial value.

    ``values`` keys are form field keys (``subject``) or block ids (``provider``).
    """
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        block_id, element = block["block_id"], block["element"]
        key = block_id.removeprefix("field:")
        value = values.get(key, values.get(block_id))
        state[block_id] = {element["action_id"]: _state_entry(element, value)}
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    unknown = set(values) - {i.removeprefix("field:") for i in inputs} - set(inputs)
    assert not unknown, f"the modal has no fields {unknown}"
    return state


class SlackDriver:
    def __init__(self, bot_url: str, slack: FakeSlack) -> None:
        self.bot_url = bot_url
        self.slack = slack
        self.http = httpx.AsyncClient(timeout=10, verify=tls_context())

    async def close(self) -> None:
        await self.http.aclose()

    async def send(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        ts = int(time.time()) if timestamp is None else timestamp
        sent_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature or sign(body, ts),
            **(headers or {}),
        }
        return await self.http.post(
            f"{self.bot_url}/slack/events", content=body, headers=sent_headers
        )

    async def command(
        self, text: str = "", *, user: str = "UANA", channel: str = "C0GENERAL"
    ) -> httpx.Response:
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": self.slack.users.get(user, {}).get("name", user),
            "command": "/ticket",
            "text": text,
            "api_app_id": "A0TICKET",
            "response_url": self.slack.response_url(),
            "trigger_id": self.slack.trigger(),
        }
        return await self.send(urlencode(form).encode(), "application/x-www-form-urlencoded")

    async def interact(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.send(body, "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], *, event_id: str, retry: int | None = None
    ) -> httpx.Response:
        """An Events API delivery (JSON), optionally marked as Slack's retry."""
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM,
                "api_app_id": "A0TICKET",
                "type": "event_callback",
                "event": event,
                "event_id": event_id,
                "event_time": int(time.time()),
                "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
            }
        ).encode()
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else None
        )
        return await self.send(body, "application/json", headers=headers)

    def _user(self, user: str) -> dict[str, Any]:
        name = self.slack.users.get(user, {}).get("name", user)
        return {"id": user, "username": name, "name": name, "team_id": TEAM}

    async def submit(
        self,
        view_id: str,
        values: dict[str, str],
        *,
        user: str = "UANA",
        view: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """Submit the modal as it currently is in the fake (or ``view``), ``values`` typed in."""
        view = dict(view or self.slack.view(view_id))
        view["state"] = {"values": fill(view, values)}
        return await self.interact(
            {
                "type": "view_submission",
                "team": {"id": TEAM, "domain": "fake"},
                "user": self._user(user),
                "api_app_id": "A0TICKET",
                "trigger_id": self.slack.trigger(),
                "view": view,
            }
        )

    async def pick(
        self,
        view_id: str,
        block_id: str,
        action_id: str,
        value: str,
        values: dict[str, str] | None = None,
        *,
        user: str = "UANA",
    ) -> httpx.Response:
        """Choose ``value`` in a dispatch_action select of the modal."""
        view = dict(self.slack.view(view_id))
        typed = {**(values or {}), block_id: value}
        view["state"] = {"values": fill(view, typed)}
        element = view["state"]["values"][block_id][action_id]
        return await self.interact(
            {
                "type": "block_actions",
                "team": {"id": TEAM, "domain": "fake"},
                "user": self._user(user),
                "api_app_id": "A0TICKET",
                "trigger_id": self.slack.trigger(),
                "container": {"type": "view", "view_id": view_id},
                "view": view,
                "actions": [
                    {
                        "action_id": action_id,
                        "block_id": block_id,
                        **element,
                        "action_ts": f"{time.time():.6f}",
                    }
                ],
            }
        )


def shortcut_payload(
    slack: FakeSlack, message: dict[str, Any], *, channel: str = "C0GENERAL", user: str = "UANA"
) -> dict[str, Any]:
    """A message_action payload, as Slack sends for a message shortcut."""
    name = slack.users.get(user, {}).get("name", user)
    return {
        "type": "message_action",
        "callback_id": "file_ticket",
        "team": {"id": TEAM, "domain": "fake"},
        "channel": {"id": channel, "name": "general"},
        "user": {"id": user, "username": name, "name": name, "team_id": TEAM},
        "message": message,
        "message_ts": message["ts"],
        "trigger_id": slack.trigger(),
        "response_url": slack.response_url(),
        "action_ts": f"{time.time():.6f}",
    }


class EventsDriver:
    """Events as Slack delivers them for the features past the form: reactions, alert
    messages, the App Home, a Workflow Builder step; and clicks on message buttons."""

    def __init__(self, driver: SlackDriver) -> None:
        self.driver = driver
        self.slack = driver.slack
        self._ids = iter(range(1, 1_000_000))

    def _event_id(self) -> str:
        return f"Ev{next(self._ids):08d}"

    async def reaction(
        self,
        user: str,
        channel: str,
        ts: str,
        *,
        reaction: str = "ticket",
        event_id: str | None = None,
        kind: str = "reaction_added",
    ) -> httpx.Response:
        event = {
            "type": kind,
            "user": user,
            "reaction": reaction,
            "item_user": "U0SOMEONE",
            "item": {"type": "message", "channel": channel, "ts": ts},
            "event_ts": f"{time.time():.6f}",
        }
        return await self.driver.event(event, event_id=event_id or self._event_id())

    async def message(
        self, channel: str, message: dict[str, Any], *, event_id: str | None = None
    ) -> httpx.Response:
        """A message another app posted (``FakeSlack.post_as_bot``), as the Events API sends
        it (``message.channels``)."""
        event = {k: v for k, v in message.items() if not k.startswith("_")} | {
            "type": "message",
            "channel": channel,
            "channel_type": "channel",
        }
        return await self.driver.event(event, event_id=event_id or self._event_id())

    async def home_opened(self, user: str, *, tab: str = "home") -> httpx.Response:
        event = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": tab}
        return await self.driver.event(event, event_id=self._event_id())

    async def step(
        self,
        execution: str,
        inputs: dict[str, Any],
        *,
        event_id: str | None = None,
        retry: int | None = None,
    ) -> httpx.Response:
        """A ``function_executed`` event: Slack runs the app's custom step ``file_ticket``."""
        event = {
            "type": "function_executed",
            "function": {
                "id": "Fn0FILE",
                "callback_id": "file_ticket",
                "title": "File a ticket",
                "type": "app",
                "app_id": "A0TICKET",
                "date_created": 1,
                "date_updated": 1,
                "date_deleted": 0,
            },
            "inputs": inputs,
            "function_execution_id": execution,
            "workflow_execution_id": f"Wx{execution[2:]}",
            "event_ts": f"{time.time():.6f}",
            "bot_access_token": "xwfp-test-step-token",
        }
        return await self.driver.event(event, event_id=event_id or self._event_id(), retry=retry)

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "UANA",
        channel: str = "C0GENERAL",
        container: dict[str, Any] | None = None,
        response_url: str | None = None,
    ) -> httpx.Response:
        """A click on a button in a message (or the home tab: ``container``)."""
        name = self.slack.users.get(user, {}).get("name", user)
        return await self.driver.interact(
            {
                "type": "block_actions",
                "team": {"id": TEAM, "domain": "fake"},
                "user": {"id": user, "username": name, "name": name, "team_id": TEAM},
                "api_app_id": "A0TICKET",
                "trigger_id": self.slack.trigger(),
                "container": container
                or {"type": "message", "is_ephemeral": True, "channel_id": channel},
                "channel": {"id": channel, "name": "general"},
                "response_url": response_url or self.slack.response_url(),
                "actions": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "block_id": "b",
                        "value": value,
                        "action_ts": f"{time.time():.6f}",
                    }
                ],
            }
        )
