"""The framework's floor: a bolt AsyncApp served exactly as ticketbot is, doing the least
each request needs: ``/ticket`` and the shortcut ack and open the modal (bolt's own example:
``await ack()`` then ``views_open``; the view is ticketbot's own form, ``bare_modal.json``),
a submit only acks. For ``bench.edges``: a
``message`` event only acks; a reaction reads the user, the message and its permalink and
answers with an ephemeral prompt, App Home reads the user and publishes a view, a workflow
step files with HostUp (``HOSTUP_URL``), posts a card and completes, a ticket link reads the
channel and unfurls, *Add to a ticket* opens a loading view, reads the message's author (once:
ticketbot caches users) and shows a picker, and its submit comments with HostUp, tells both
threads and shows the outcome: the Slack (and provider) calls ticketbot makes on those paths.

``python -m bench.bare_app PORT`` (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL set).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

PROVIDER_CONNECTIONS = 50  # NOTE: ProviderConfigBase.max_connections' default
BARE_CALLBACK_ID = "bare_modal"  # NOTE: the bench submits only the modals the bot opened
BARE_ADD_CALLBACK = "bare_add"
BARE_ADD_VIEW = "VBAREADD"  # the bare app's pickers the bench submits (made up: it opened none)


# NOTE: the modal both apps open is ticketbot's own HostUp form (captured, its source in the
# file): the same view, so the same bytes for Slack to read. ``BARE_MODAL=one-field`` opens the
# one-field modal of bolt's example instead (what the figures before 2026-12-07 07:00 UTC used).
ONE_FIELD = {
    "type": "modal",
    "callback_id": BARE_CALLBACK_ID,
    "title": {"type": "plain_text", "text": "File a ticket"},
    "submit": {"type": "plain_text", "text": "File ticket"},
    "blocks": [
        {
            "type": "input",
            "block_id": "subject",
            "label": {"type": "plain_text", "text": "Subject"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}
FORM = json.loads((Path(__file__).with_name("bare_modal.json")).read_text(encoding="utf-8"))["view"]
MODAL = ONE_FIELD if os.environ.get("BARE_MODAL") == "one-field" else FORM


HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}]}
PROMPT = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "File this message as a ticket?"}},
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "bare_file",
                "text": {"type": "plain_text", "text": "File a ticket"},
            }
        ],
    },
]


LOADING = {
    "type": "modal",
    "callback_id": BARE_ADD_CALLBACK,
    "title": {"type": "plain_text", "text": "Add to a ticket"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Finding your tickets…"}}],
}
DONE = [{"type": "section", "text": {"type": "mrkdwn", "text": "Added to HostUp #10001."}}]
PICKER = {
    **LOADING,
    "submit": {"type": "plain_text", "text": "Add"},
    "blocks": [
        {
            "type": "input",
            "block_id": "add_pick",
            "label": {"type": "plain_text", "text": "Ticket"},
            "element": {
                "type": "static_select",
                "action_id": "value",
                "options": [
                    {"text": {"type": "plain_text", "text": f"HostUp #{n}"}, "value": str(n)}
                    for n in range(10_001, 10_011)
                ],
            },
        }
    ],
}


def add_paths(app: AsyncApp) -> None:
    """The interactive paths, making the Slack calls ticketbot makes on each."""
    # NOTE: as many requests to HostUp in flight as the bot allows one provider; httpx's own
    # default is 100
    hostup = httpx.AsyncClient(
        base_url=os.environ.get("HOSTUP_URL", "http://127.0.0.1:9"),
        # NOTE: HostUp answers 406 to a request without Accept: application/json (its docs)
        headers={
            "Authorization": f"Bearer {os.environ.get('HOSTUP_API_KEY', '')}",
            "Accept": "application/json",
        },
        limits=httpx.Limits(max_connections=PROVIDER_CONNECTIONS),
    )

    @app.event("reaction_added")
    async def reaction(event: dict[str, Any], client: AsyncWebClient) -> None:
        item, user = event["item"], event["user"]
        await client.users_info(user=user)
        await client.conversations_history(
            channel=item["channel"], latest=item["ts"], inclusive=True, limit=1
        )
        await client.chat_getPermalink(channel=item["channel"], message_ts=item["ts"])
        await client.chat_postEphemeral(
            channel=item["channel"], user=user, text="File this message?", blocks=PROMPT
        )

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.users_info(user=event["user"])
        await client.views_publish(user_id=event["user"], view=HOME)

    @app.event("link_shared")
    async def unfurl(event: dict[str, Any], client: AsyncWebClient) -> None:
        # NOTE: ticketbot reads the channel (shared with another organisation?) first
        await client.conversations_info(channel=event["channel"])
        unfurls = {
            link["url"]: {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "#1"}}]}
            for link in event["links"]
        }
        await client.chat_unfurl(channel=event["channel"], ts=event["message_ts"], unfurls=unfurls)

    authors: dict[str, Any] = {}

    @app.shortcut("add_to_ticket")
    async def add(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """A loading view at once, the message's author read, then the picker."""
        await ack()
        opened = await client.views_open(trigger_id=body["trigger_id"], view=LOADING)
        author = body["message"]["user"]
        if author not in authors:  # NOTE: ticketbot keeps a user it read for 10 minutes
            authors[author] = await client.users_info(user=author)
        await client.views_update(view_id=opened["view"]["id"], view=PICKER)

    @app.view(BARE_ADD_CALLBACK)
    async def add_submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The picked ticket (its id in the metadata) gets the message as a comment; the
        message's thread and the ticket's are told, and the modal shows the outcome."""
        view = body["view"]
        await ack(response_action="update", view=LOADING)
        ticket = view["private_metadata"]
        path = f"/api/v2/support/tickets/{ticket}/messages"
        sent = await hostup.post(path, json={"message": "m"})
        sent.raise_for_status()
        for channel, ts in (("C0BENCH", "1733700000.000001"), ("C0GENERAL", "1733700000.000002")):
            await client.chat_postMessage(channel=channel, thread_ts=ts, text="Added")
        await client.views_update(view_id=view["id"], view={**LOADING, "blocks": DONE})

    @app.event("function_executed")
    async def step(event: dict[str, Any]) -> None:
        # NOTE: bolt hands a step's listener a client with the run's own token (xwfp-…);
        # ticketbot calls with its bot token, and so does this
        client = app.client
        inputs = event["inputs"]
        created = await hostup.post(
            "/api/v2/support/tickets",
            json={
                "departmentSlug": "vps",
                "subject": inputs["subject"],
                "message": inputs["description"],
                "priority": inputs["priority"],
            },
        )
        created.raise_for_status()
        number = str(created.json().get("number") or created.json()["id"])
        await client.chat_postMessage(channel=inputs["channel_id"], text=f"Ticket #{number}")
        await client.functions_completeSuccess(
            function_execution_id=event["function_execution_id"],
            outputs={"ticket_number": number},
        )


def build() -> web.Application:
    app = AsyncApp(
        client=AsyncWebClient(
            token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]
        ),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    )

    async def just_ack(ack: AsyncAck) -> None:
        await ack()

    async def ack_and_open(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    app.command("/ticket")(ack_and_open)
    app.shortcut("file_ticket")(ack_and_open)
    app.view("ticket_modal")(just_ack)
    app.event("message")(just_ack)
    add_paths(app)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    web_app.router.add_get("/healthz", healthz)
    return web_app


async def main(port: int) -> None:
    runner = web.AppRunner(build(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
