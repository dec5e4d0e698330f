"""Issue 34, tried as an attacker would, over loopback: each secret goes only to its own host,
no typed value reaches a provider path raw, and every read has a size and a time bound."""

from __future__ import annotations

import asyncio
import io
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.domain.errors import ConfigError, NoSuchTicket, ProviderProtocolError, ProviderTimeout
from bot.domain.tickets import TicketRef
from bot.lane import GivingWayTransport
from bot.links_cli import import_links, run_links
from bot.providers.base import REPLIES
from bot.providers.http import ANSWER_CAP, MAX_RETRY_AFTER, retry_after_seconds
from bot.safe_http import tls_context
from tests.conftest import BotFactory, RunningBot, hostup_table
from tests.fakes.billingserv import FakeBillingServ
from tests.fakes.hostup import FakeHostUp
from tests.fakes.server import FakeServer
from tests.fakes.slack_api import TEAM, FakeSlack
from tests.flows import open_form
from tests.provider_cases import BY_KIND, provider_table
from tests.slack_driver import shortcut_payload
from tests.test_contract import make_provider
from tests.test_delivery_faults import VPSBG_FILLED, buttons, card_saying, click, vpsbg_bot
from tests.test_shortcut import alert

BS = BY_KIND["billingserv"]


class Elsewhere(FakeServer):
    """A host that is neither Slack nor the provider: it records whatever reaches it."""

    def routes(self, app: web.Application) -> None:
        async def anything(request: web.Request) -> web.Response:
            await self.record(request)
            return web.Response(body=b"stolen?", content_type="text/plain")

        app.router.add_route("*", "/{tail:.*}", anything)


@pytest.fixture
async def elsewhere() -> AsyncIterator[Elsewhere]:
    fake = Elsewhere()
    await fake.start()
    yield fake
    await fake.stop()


async def files_note(slack: FakeSlack) -> str:
    notes = await slack.until(
        lambda: [m for m in slack.calls_to("chat.postMessage") if "Not attached" in m["text"]],
        "the files note",
    )
    return str(notes[0]["text"])


async def file_with(bot: RunningBot, slack: FakeSlack, files: list[dict[str, Any]]) -> None:
    """File the plain alert, with ``files`` on it, to HostUp (its files fetched or not)."""
    await bot.driver.interact(shortcut_payload(slack, {**alert("plain"), "files": files}))
    view_id = await slack.wait_for_view("field:files")
    await bot.driver.submit(view_id, {"department": "vps"})
    await slack.wait_for_text(view_id, "#10001")


# --- 1: the bot token goes only to Slack's hosts -------------------------------------------------


async def test_remote_and_foreign_files_are_listed_and_never_get_the_token(
    hostup_bot: RunningBot, slack: FakeSlack, elsewhere: Elsewhere, hostup: FakeHostUp
) -> None:
    """Before: the bot GETs a remote file's url_private with ``Bearer xoxb-…``. After: a file
    stored outside Slack, or any URL off Slack's file host, is listed as a link, not fetched."""
    remote = slack.add_file("F0REMOTE", "runbook.pdf", b"%PDF")
    remote |= {
        "is_external": True,
        "mode": "external",
        "external_type": "app",
        "url_private": f"{elsewhere.url}/runbook.pdf",
        "url_private_download": f"{elsewhere.url}/runbook.pdf?dl=1",
        "permalink": "https://fake.slack.com/files/U1/F0REMOTE/runbook.pdf",
    }
    slack.files["F0REMOTE"] = (remote, b"%PDF")
    foreign = slack.add_file("F0FOREIGN", "dump.log", b"log")
    foreign |= {"url_private_download": f"{elsewhere.url}/dump.log"}
    slack.files["F0FOREIGN"] = (foreign, b"log")
    await file_with(hostup_bot, slack, [remote, foreign])
    sent = [r.headers.get("Authorization", "none")[:12] for r in elsewhere.requests]
    assert elsewhere.seen == [], f"the other host got Authorization: {sent}"
    note = await files_note(slack)
    assert "runbook.pdf: stored outside Slack, not downloaded" in note
    assert "https://fake.slack.com/files/U1/F0REMOTE/runbook.pdf" in note
    assert "dump.log: not on Slack's file host" in note
    assert not next(iter(hostup.tickets.values()))["attachments"]


async def test_a_file_download_is_not_followed_off_slacks_host(
    hostup_bot: RunningBot, slack: FakeSlack, elsewhere: Elsewhere
) -> None:
    """Before: a redirect from the file host is followed (to any host). After: not followed."""
    moved = slack.add_file("F0MOVED", "moved.log", b"log")
    slack.file_redirects["F0MOVED"] = f"{elsewhere.url}/moved.log"
    await file_with(hostup_bot, slack, [moved])
    assert elsewhere.seen == []
    note = await files_note(slack)
    assert "moved.log: download failed (HTTP 302)" in note


async def test_the_slack_session_sends_nothing_to_another_host(
    hostup_bot: RunningBot, elsewhere: Elsewhere
) -> None:
    """Every Web API call carries the token; the session refuses a host that is not Slack's
    (a base URL or a redirect gone astray), before the request leaves."""
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack.outbound import NotSlack

    client = hostup_bot.deps.slack
    astray = AsyncWebClient(
        token=client.token, base_url=f"{elsewhere.url}/api/", session=client.session
    )
    with pytest.raises(NotSlack):
        await astray.auth_test()
    assert elsewhere.seen == []


async def test_a_provider_key_goes_only_to_its_base_url_origin(
    hostup: FakeHostUp, elsewhere: Elsewhere
) -> None:
    """A URL a provider answers with (a paging link, a download) never gets the key: a request
    to any other origin is refused before it leaves; a redirect is not followed."""
    async with httpx.AsyncClient(verify=tls_context()) as client:
        provider = make_provider(BY_KIND["hostup"], hostup.url, client, BY_KIND["hostup"].env)
        http = provider._http  # type: ignore[attr-defined]
        with pytest.raises(ConfigError, match="not the origin of base_url"):
            await http.send("GET", f"{elsewhere.url}/api/v2/support/tickets?page=2")
        with pytest.raises(ConfigError):  # same host, another port: another origin
            await http.send("GET", hostup.url.rsplit(":", 1)[0] + ":1/api/v2/support/tickets")
        hostup.redirect_to = f"{elsewhere.url}/steal"  # every answer: 307 to the other host
        with pytest.raises(ProviderProtocolError):
            await provider.form()
        assert hostup.seen[-1] == ("GET", "/api/v2/support/departments")
    assert elsewhere.seen == []


# --- 4: no raw input in a provider path -----------------------------------------------------------


async def asked_for_a_number(
    make_bot: BotFactory, slack: FakeSlack, fake: FakeServer
) -> tuple[RunningBot, str]:
    """A VPSBG filing left unsure, and its filer at *It was filed*: the bot and the view."""
    bot = await vpsbg_bot(make_bot, fake)
    view_id = await open_form(bot)
    fake.fail(delay_after=1.0, path_contains="/support/tickets")
    await bot.driver.submit(view_id, VPSBG_FILLED)
    card = await card_saying(slack, "Unsure")
    await click(bot, slack, buttons(card)["unsure_was_filed"])
    return bot, await slack.wait_for_view("number")


async def test_a_typed_ticket_number_must_look_like_the_providers_and_never_reaches_a_path(
    make_bot: BotFactory, slack: FakeSlack
) -> None:
    """Before: ``../../account/api-keys#`` under *It was filed* was recorded, and a thread reply
    then POSTed /v1/account/api-keys with the VPSBG token (its 404 turned replies off for the
    process). After: the modal says what a VPSBG number looks like; nothing is recorded."""
    fake = BY_KIND["vpsbg"].fake()
    await fake.start()
    try:
        bot, number_view = await asked_for_a_number(make_bot, slack, fake)
        seen_before = list(fake.seen)
        for typed in ("../../account/api-keys#", "216?x=1", "%2e%2e", "２１６", "216/messages"):
            answer = await bot.driver.submit(number_view, {"number": typed})
            assert answer.text, f"{typed!r} was accepted"
            assert answer.json()["response_action"] == "errors", typed
            assert "like 10001" in str(answer.json()["errors"])
        assert fake.seen == seen_before  # not one request for any of them
        assert await bot.deps.store.tickets.ticket(1) is None
        provider = bot.deps.providers["vpsbg"]
        with pytest.raises(NoSuchTicket):  # a stored id of that shape is refused too
            await provider.reply(  # type: ignore[attr-defined]
                TicketRef(provider="vpsbg", id="../../account/api-keys#", number="x"), "hi"
            )
        assert fake.seen == seen_before
        assert REPLIES not in provider.features_off
    finally:
        await fake.stop()


async def test_a_404_for_a_number_typed_by_hand_turns_no_feature_off(
    make_bot: BotFactory, slack: FakeSlack
) -> None:
    """A number a person typed that the provider does not know (a server's bare 404 on its
    path) is about that ticket: replies stay on for every other ticket."""
    fake = BY_KIND["vpsbg"].fake()
    fake.documented_only = True  # NOTE: routes only for the create: other paths, bare 404s
    await fake.start()
    try:
        bot, number_view = await asked_for_a_number(make_bot, slack, fake)
        await bot.driver.submit(number_view, {"number": "99999"})
        await card_saying(slack, "VPSBG ticket #99999")
        record = await bot.deps.store.tickets.ticket(1)
        assert record is not None
        provider = bot.deps.providers["vpsbg"]
        with pytest.raises(NoSuchTicket, match="no ticket #99999"):
            await provider.reply(record.ref, "hello")  # type: ignore[attr-defined]
        assert REPLIES not in provider.features_off
        assert fake.seen[-1] == ("POST", "/v1/support/tickets/99999/messages")
    finally:
        await fake.stop()


# --- 5: every read bounded ------------------------------------------------------------------------


async def test_a_file_bigger_than_its_cap_is_not_read_whole(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Before: a body that lied about its size was read whole (210 MB against a 2 KB cap).
    After: the download stops once the cap is passed; the fake counts what went out."""
    bot = await make_bot(
        hostup_table(hostup), options='admins = ["UANA"]\nmax_attachment_mb = 0.002'
    )
    liar = slack.add_file("F0LIAR", "small.log", b"tiny")  # files.info says 4 bytes
    total = 32 * 1_048_576
    slack.file_streams["F0LIAR"] = total
    await file_with(bot, slack, [liar])
    note = await files_note(slack)
    assert "small.log: over the 2.0 KB limit" in note
    sent = await slack.until(lambda: slack.file_bytes_sent.get("F0LIAR"), "the stream to end")
    assert sent < total // 4, f"{sent} of {total} bytes went out"


class Endless(FakeServer):
    """A provider stand-in whose every answer is endless: ``huge`` streams bytes as fast as it
    can; ``trickle`` sends one byte every 50 ms, each read well inside any per-read timeout."""

    mode: str = "huge"
    sent: int = 0

    def routes(self, app: web.Application) -> None:
        async def anything(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            await response.prepare(request)
            chunk = b" " * (65_536 if self.mode == "huge" else 1)
            try:
                while self.sent < 4 * ANSWER_CAP:
                    await response.write(chunk)
                    self.sent += len(chunk)
                    if self.mode == "trickle":
                        await asyncio.sleep(0.05)
            except (ConnectionError, RuntimeError):
                pass
            return response

        app.router.add_route("*", "/{tail:.*}", anything)


async def test_a_provider_answer_is_read_up_to_its_cap_within_one_deadline() -> None:
    """Before: an answer was read whole, and a trickling one held the call for ever (each
    read inside the timeout). After: the cap stops the first, the call's deadline the second."""
    fake = Endless()
    await fake.start()
    try:
        async with httpx.AsyncClient(verify=tls_context()) as client:
            case = BY_KIND["hostup"]
            provider = make_provider(case, fake.url, client, case.env, "timeout_seconds = 0.3\n")
            with pytest.raises(ProviderProtocolError, match="more than 8 MB"):
                await asyncio.wait_for(provider.form(), 20)
            assert fake.sent < 2 * ANSWER_CAP
            fake.mode, fake.sent = "trickle", 0
            http = provider._http  # type: ignore[attr-defined]
            started = time.monotonic()
            with pytest.raises(ProviderTimeout, match=r"within 0\.6 s"):
                await asyncio.wait_for(http.send("GET", f"{fake.url}/api/v2/x"), 10)
            assert time.monotonic() - started < 3
    finally:
        await fake.stop()


def gzip_of_zeros(megabytes: int) -> bytes:
    """A gzip body that unpacks to ``megabytes`` MB of zeros (about a thousandth of it)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # NOTE: 31: the gzip wrapper
    zeros = bytes(1_048_576)
    return b"".join([*(packer.compress(zeros) for _ in range(megabytes)), packer.flush()])


class Bomb(FakeServer):
    """A provider stand-in answering every request with a small gzip body that unpacks to
    64 MB, eight times the answer cap."""

    body: bytes = b""

    def routes(self, app: web.Application) -> None:
        async def anything(request: web.Request) -> web.Response:
            headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
            return web.Response(body=self.body, headers=headers)

        app.router.add_route("*", "/{tail:.*}", anything)


async def test_a_compressed_answer_is_unpacked_no_further_than_its_cap() -> None:
    """Before: the transport read the compressed body (64 KB, under the cap) and handed it on
    in one piece, which was unpacked whole before the cap was counted (a 200 MB bomb took the
    process from 38 to 446 MB). Now it is unpacked a slice at a time and stops at the cap."""
    fake = Bomb()
    fake.body = gzip_of_zeros(64)
    await fake.start()
    transport = GivingWayTransport(httpx.AsyncHTTPTransport(verify=tls_context()))
    try:
        async with httpx.AsyncClient(transport=transport) as client:
            case = BY_KIND["hostup"]
            provider = make_provider(case, fake.url, client, case.env, "")
            tracemalloc.start()
            try:
                with pytest.raises(ProviderProtocolError, match="more than 8 MB"):
                    await asyncio.wait_for(provider.form(), 20)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert peak < 4 * ANSWER_CAP, f"{peak / 1_048_576:.0f} MB at the peak"
    finally:
        await fake.stop()


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("999999999", MAX_RETRY_AFTER),
        ("9" * 400, MAX_RETRY_AFTER),  # a float of inf
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
    ],
)
def test_a_retry_after_holds_an_hour_at_most(header: str, seconds: float | None) -> None:
    """Before: any Retry-After was honoured; one 429 saying 999999999 held that provider's
    polls on every replica, across restarts, for 31 years."""
    assert retry_after_seconds(header) == seconds


async def test_a_slack_answer_is_read_up_to_its_cap() -> None:
    """The Slack session reads a Web API answer at most its cap (16 MB in production), then
    hangs up: an endless answer costs the cap, not the memory it would fill."""
    import aiohttp
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack.outbound import AnswerTooBig, SlackOrigins, slack_only

    fake = Endless()
    await fake.start()
    cap = 1_048_576
    try:
        middleware = slack_only(SlackOrigins(f"{fake.url}/api/"), cap=cap)
        async with aiohttp.ClientSession(middlewares=(middleware,)) as session:
            client = AsyncWebClient(token="xoxb-1", base_url=f"{fake.url}/api/", session=session)
            with pytest.raises(AnswerTooBig):
                await asyncio.wait_for(client.auth_test(), 20)
        assert fake.sent < 8 * cap, f"{fake.sent} bytes went out against a {cap}-byte cap"
    finally:
        await fake.stop()


# --- 9: links export and import keep each workspace's links in it -------------------------------


async def test_links_export_and_import_round_trip_two_workspaces(
    make_bot: BotFactory, billing: FakeBillingServ, slack: FakeSlack, tmp_path: Path
) -> None:
    """Before: the export had no workspace, and an import put every row into the token's.
    After: each row carries its team, and goes back into it."""
    bot = await make_bot(provider_table(BS, billing.url), env=BS.env)
    store = bot.deps.store
    for team, user, requester in ((TEAM, "UBOB", "42"), ("T0OTHER", "UBOB", "7")):
        await store.links.set_requester_link(
            team_id=team,
            user_id=user,
            provider="billingserv",
            requester_id=requester,
            source="admin",
            created_by="UANA",
        )
    out = io.StringIO()
    assert await run_links(bot.deps, "export", None, out) == 0
    exported = out.getvalue()
    assert exported.splitlines()[0].endswith(",team")
    rows = [r.split(",") for r in exported.splitlines()[1:]]
    assert {(user, provider, requester, r[-1]) for user, provider, requester, *r in rows} == {
        ("UBOB", "billingserv", "42", TEAM),
        ("UBOB", "billingserv", "7", "T0OTHER"),
    }
    for team in (TEAM, "T0OTHER"):
        await store.links.delete_links(team_id=team, user_id="UBOB", provider=None, actor="test")
    (tmp_path / "links.csv").write_text(exported, encoding="utf-8")
    report = io.StringIO()
    assert await run_links(bot.deps, "import", str(tmp_path / "links.csv"), report) == 0
    assert "imported 2 links (2 changed)" in report.getvalue()
    assert [link.requester_id for link in await store.links.links(TEAM, "UBOB")] == ["42"]
    assert [link.requester_id for link in await store.links.links("T0OTHER", "UBOB")] == ["7"]
    lines = "slack_user,provider,requester_id,source,created_by,created_at,team\n" + (
        "bob@example.com,billingserv,9,,,,T0OTHER\nUBOB,billingserv,9,,,,nope\n"
    )
    refused = await import_links(bot.deps, TEAM, io.StringIO(lines))
    assert refused.imported == 0 and len(refused.problems) == 2
    assert "e-mail can be looked up only in this bot's workspace" in refused.problems[0]


# --- 6: linking by e-mail only for this workspace's confirmed members -----------------------------


def lookalikes(slack: FakeSlack) -> dict[str, dict[str, Any]]:
    """Users whose Slack profile carries a customer's e-mail (bob@example.com is BillingServ
    customer 7) but who are not members of this workspace with a confirmed address."""
    shapes: dict[str, dict[str, Any]] = {
        "UGUEST": {"is_restricted": True},  # a multi-channel guest
        "USINGLE": {"is_ultra_restricted": True},  # a single-channel guest
        "UCONNECT": {"team_id": "T0FOREIGN", "is_stranger": True},  # Slack Connect
        "UHOMED": {"team_id": "T0FOREIGN"},  # another organisation, not marked a stranger
        "UUNCONFIRMED": {"is_email_confirmed": False},
    }
    for user, shape in shapes.items():
        slack.add_user(user, user.lower(), user.title(), "bob@example.com")
        slack.users[user] |= shape
        slack.channels["C0GENERAL"].members.add(user)
    return shapes


async def form_shows(bot: RunningBot, slack: FakeSlack, user: str, text: str) -> None:
    """``user`` runs /ticket; their modal comes to show ``text``."""
    slack.views.clear()  # NOTE: wait_for_view finds the first modal; this one is the only
    await bot.driver.command("", user=user)
    await slack.wait_for_text(await slack.wait_for_view("field:subject"), text)


async def test_a_guest_or_external_with_a_customers_email_is_not_linked_by_it(
    make_bot: BotFactory, billing: FakeBillingServ, slack: FakeSlack
) -> None:
    """Before: any profile e-mail was matched to a customer, so a guest or a Slack Connect user
    with a customer's address filed as that customer. After: they are told an admin links
    them; the provider is not even asked."""
    shapes = lookalikes(slack)
    slack.add_user("UBOB", "bob", "Bob B", "bob@example.com")  # the member himself
    bot = await make_bot(provider_table(BS, billing.url), env=BS.env)
    for user in shapes:
        await form_shows(bot, slack, user, "not linked")
        assert await bot.deps.store.links.requester_link(TEAM, user, "billingserv") is None
    assert not [r for r in billing.requests if "customer" in r.path]
    await form_shows(bot, slack, "UBOB", "requester #7")


async def test_guests_can_be_linked_by_email_when_configured(
    make_bot: BotFactory, billing: FakeBillingServ, slack: FakeSlack
) -> None:
    shapes = lookalikes(slack)
    bot = await make_bot(
        provider_table(BS, billing.url),
        env=BS.env,
        options='admins = ["UANA"]\nlink_guests_by_email = true',
    )
    for user in shapes:  # an address Slack has not confirmed: never
        expected = "not linked" if user == "UUNCONFIRMED" else "requester #7"
        await form_shows(bot, slack, user, expected)


# --- 7: the App Home shows only what the viewer may see ------------------------------------------


async def test_a_non_admins_home_shows_no_one_elses_failures_and_each_workspace_its_own(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Before: every viewer saw each provider's last error (of any workspace), which quotes
    provider answers about other people's tickets. After: admins see their workspace's."""
    from tests.test_durable import given_up
    from tests.test_home import opened_home, shown

    bot, _ = await given_up(make_bot, hostup, slack)  # Ana's filing: HTTP 500 until given up
    other, _ = await bot.deps.store.submissions.begin_submission(
        key="elsewhere",
        team_id="T0OTHER",
        user_id="UZED",
        provider="hostup",
        channel_id=None,
        thread_ts=None,
        draft="{}",
        first_attempt_by=0,
    )
    await bot.deps.store.submissions.give_up(
        other.id, "HostUp: customer Zed's card 4242 was declined"
    )
    slack.add_user("UBOB", "bob", "Bob", "bob@example.com")
    bob = shown(await opened_home(bot, slack, "UBOB"))
    assert "HostUp" in bob and "Last error" not in bob
    assert "HTTP 500" not in bob and "Zed" not in bob and "Needs attention" not in bob
    ana = shown(await opened_home(bot, slack, "UANA"))  # an admin, of this workspace
    assert "Last error" in ana and "HTTP 500" in ana
    assert "Zed" not in ana and "4242" not in ana


# --- 8: health and metrics ----------------------------------------------------------------------


async def test_metrics_listen_on_their_own_port_and_health_on_both(
    tmp_path: Path, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Before: /metrics shared the public port with /slack/events. After: it is served on
    METRICS_PORT only (the same number as PORT puts everything on one port again)."""
    from tests.processes import free_port, start_bot

    (tmp_path / "ticketbot.toml").write_text(hostup_table(hostup), encoding="utf-8")
    ops = free_port()
    bot = await start_bot(tmp_path, slack, {"METRICS_PORT": str(ops)})
    try:
        async with httpx.AsyncClient(verify=tls_context()) as client:
            assert (await client.get(f"{bot.url}/metrics")).status_code == 404
            metrics = await client.get(f"http://127.0.0.1:{ops}/metrics")
            assert metrics.status_code == 200 and "ticketbot_slack_requests_total" in metrics.text
            for url in (bot.url, f"http://127.0.0.1:{ops}"):
                assert (await client.get(f"{url}/livez")).status_code == 200
                assert (await client.get(f"{url}/healthz")).status_code == 200
            assert (await client.post(f"http://127.0.0.1:{ops}/slack/events")).status_code == 404
    finally:
        code, log = await bot.stop()
    assert code == 0, log
    assert f'"metrics": "127.0.0.1:{ops}"' in log


async def test_health_checks_take_the_write_lock_at_most_once_per_few_seconds(
    hostup_bot: RunningBot,
) -> None:
    """Before: every /healthz took SQLite's write lock (an unauthenticated flood queued behind
    the filings' writes). After: a good answer stands for 5 s; while it does, a lock another
    process holds is not even tried (the answers stay 200 and fast)."""
    import sqlite3

    http = hostup_bot.driver.http
    assert (await http.get(f"{hostup_bot.url}/healthz")).status_code == 200
    other = sqlite3.connect(hostup_bot.deps.settings.env.ticketbot_db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the write lock, held elsewhere
    try:
        started = time.monotonic()
        answers = await asyncio.gather(*(http.get(f"{hostup_bot.url}/healthz") for _ in range(20)))
        took = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert [a.status_code for a in answers] == [200] * 20
    assert took < 0.5  # a lock attempt waits 0.5 s before it gives up
