"""Nothing secret leaves for a provider unnoticed: the scan's precision on ordinary operations
text, every kind found in its vendor's documented form, and, over loopback, what the fake
provider received from the form, an emoji filing with a text file, and a thread reply."""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import pytest
from detect_secrets.plugins.keyword import DENYLIST
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.disclosure.scanner import redact, scan
from bot.disclosure.secrets import HINTS, KEYWORD_HINTS, PLUGINS
from bot.domain.disclosure import Category, DisclosurePolicy
from bot.settings import load_settings
from bot.tickets.outgoing import Outgoing
from tests.conftest import BotFactory, RunningBot, hostup_table
from tests.disclosure_corpus import (
    OPS_TEXT,
    PASTED,
    PERSONAL,
    SECRETS,
    payload_texts,
    secret_of,
)
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.flows import modal_text, open_form
from tests.slack_driver import EventsDriver
from tests.test_reactions import ALERTS, FILE_AT_ONCE, alerts_channel

EVERYTHING = DisclosurePolicy(redact=tuple(Category))
# Alert payloads carry real addresses (instance="10.0.0.1:9100", a sender's e-mail): those
# are findings for a provider that redacts them, not false ones.
NOT_ADDRESSES = DisclosurePolicy(redact=(Category.SECRETS, Category.PHONES, Category.CARDS))
ALL_KINDS = 'redact = ["secrets", "emails", "phones", "ips", "cards"]'
EXAMPLES = [*SECRETS, *PASTED, *PERSONAL]
FILLED = {"department": "vps", "priority": "high", "cc": "ops@example.com"}


def test_ordinary_operations_text_gives_no_finding() -> None:
    texts = [("ops text", OPS_TEXT), *payload_texts()]
    assert len(texts) >= 7 and sum(len(t) for _, t in texts) > 8_000
    found = {name: [f.kind for f in scan(text, NOT_ADDRESSES)] for name, text in texts}
    assert {name: kinds for name, kinds in found.items() if kinds} == {}
    assert scan(OPS_TEXT, EVERYTHING) == []  # its host names and ids are no addresses either


@pytest.mark.parametrize(("kind", "example", "source"), EXAMPLES, ids=[e[1][:24] for e in EXAMPLES])
def test_each_kind_is_found_in_its_documented_form(kind: str, example: str, source: str) -> None:
    text = f"Seen in the logs:\nvalue {example} (from {source.split()[0]})\n"
    found = scan(text, EVERYTHING)
    assert [(f.kind, f.line) for f in found] == [(kind, 2)]
    sent = redact(text, found)
    assert secret_of(example) not in sent and f"[redacted: {kind}]" in sent
    assert len(found[0].masked.replace("…", "")) <= 8  # at most four characters each end


def test_each_shortcut_hint_is_in_every_pattern_it_guards() -> None:
    """A pattern is skipped for text without its hint (bot.disclosure.secrets.HINTS): a
    detect-secrets update that changed a pattern must not make the skip drop matches."""
    for plugin in PLUGINS:
        hints = HINTS.get(type(plugin), ())
        for pattern in plugin.denylist if hints else ():  # type: ignore[attr-defined]
            literal = re.sub(r"\\(.)", r"\1", pattern.pattern).lower()
            assert any(hint in literal for hint in hints), (type(plugin).__name__, pattern)
    assert all(any(hint in word for hint in KEYWORD_HINTS) for word in DENYLIST)


def test_allow_patterns_and_policies_per_provider(tmp_path: Path) -> None:
    config = (
        '[ticketbot]\nallow = ["AKIA[0-9A-Z]{9}EXAMPLE"]\n\n'
        '[providers.hostup]\nkind = "hostup"\nbase_url = "https://h.example/api/v2"\n'
        f'api_key_env = "HOSTUP_API_KEY"\n{ALL_KINDS}\n\n'
        '[providers.other]\nkind = "hostup"\nbase_url = "https://o.example/api/v2"\n'
        'api_key_env = "HOSTUP_API_KEY"\nallow = ["glpat-9fQzR2xKp7LmN4vT8wYb"]\n'
    )
    (tmp_path / "t.toml").write_text(config, encoding="utf-8")
    settings = load_settings({"TICKETBOT_CONFIG": str(tmp_path / "t.toml"), **_env()})
    default = settings.options.disclosure
    outgoing = Outgoing({n: c.disclosure(default) for n, c in settings.providers.items()})
    text = "AKIAIOSFODNN7EXAMPLE glpat-9fQzR2xKp7LmN4vT8wYb jane.doe@example.com"
    assert [f.kind for f in scan(text, outgoing.policy("hostup"))] == [
        "GitLab token",
        "e-mail address",
    ]
    assert scan(text, outgoing.policy("other")) == []  # secrets only; both keys allowed


def test_policy_mistakes_are_one_line_each(tmp_path: Path) -> None:
    from bot.domain.errors import ConfigErrors

    config = (
        '[ticketbot]\nredact = ["secret"]\nallow = ["AKIA("]\nsend_as_typed = "all"\n\n'
        '[providers.hostup]\nkind = "hostup"\nbase_url = "https://h.example/api/v2"\n'
        'api_key_env = "HOSTUP_API_KEY"\nredact = ["emails", "cards", "ip"]\n'
    )
    (tmp_path / "t.toml").write_text(config, encoding="utf-8")
    with pytest.raises(ConfigErrors) as caught:
        load_settings({"TICKETBOT_CONFIG": str(tmp_path / "t.toml"), **_env()})
    lines = [p.message for p in caught.value.problems]
    assert lines == [
        "config error: providers.hostup.redact.2: input should be 'secrets', 'emails', "
        "'phones', 'ips' or 'cards'",
        "config error: ticketbot.redact.0: input should be 'secrets', 'emails', 'phones', "
        "'ips' or 'cards'",
        "config error: ticketbot.allow: entry 0 is not a regular expression (missing ), "
        "unterminated subpattern)",
        "config error: ticketbot.send_as_typed: input should be 'admins' or 'nobody'",
    ]


def _env() -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "HOSTUP_API_KEY": "k"}


async def test_the_form_shows_what_it_found_then_hostup_gets_it_redacted(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # the bot's level (bot.logs)
    bot = await make_bot(hostup_table(hostup, extra=ALL_KINDS))
    view_id = await open_form(bot)
    description = "\n".join(f"{n}: {example}" for n, (_, example, _) in enumerate(EXAMPLES))
    typed = {
        **FILLED,
        "subject": "login broken, key AKIAIOSFODNN7EXAMPLE",
        "description": description,
    }
    shown = await bot.driver.submit(view_id, typed)
    assert shown.json()["response_action"] == "update"
    view = shown.json()["view"]
    notice = modal_text(view)
    assert f"{len(EXAMPLES) + 1} things in this ticket look secret or personal" in notice
    assert "*AWS access key* in Subject, line 1: `AKIA…MPLE` will be sent as " in notice
    assert "`[redacted: AWS access key]`" in notice
    assert "*GitHub token* in Message, line 8: `ghp_…8B4a` will be sent as " in notice
    assert "…and" in notice  # more than ten: the rest counted
    assert not [r for r in hostup.requests if r.method == "POST"]  # nothing left yet

    await bot.driver.submit(view_id, {}, view={**view, "id": view_id})  # as shown: file it
    await slack.wait_for("chat.postMessage")
    card = slack.channels["C0GENERAL"].messages[0]
    sent = next(r.body for r in hostup.requests if r.method == "POST")
    everything = json.dumps([r.body for r in hostup.requests], default=str)
    for _, example, _ in EXAMPLES:
        assert secret_of(example) not in everything
    assert sent["subject"] == "login broken, key [redacted: AWS access key]"
    for kind, _, _ in EXAMPLES:
        assert f"[redacted: {kind}]" in sent["message"]
    assert sent["ccEmails"] == ["ops@example.com"]  # the form's e-mail field is not free text
    note = await _thread_note(slack, card["ts"])
    assert f"{len(EXAMPLES) + 1} findings were redacted before this went to HostUp" in note
    metrics = bot.deps.metrics.render().decode()
    assert 'ticketbot_redactions_total{kind="aws_access_key",provider="hostup"} 2.0' in metrics
    _no_value_in(caplog.records)


async def test_an_admin_may_send_one_finding_as_typed_and_it_is_audited(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bot = await make_bot(hostup_table(hostup))
    view_id = await open_form(bot)
    typed = {
        **FILLED,
        "subject": "db1 down",
        "description": "public id AKIAIOSFODNN7EXAMPLE\npassword=hunter2-Prod-77",
    }
    view = (await bot.driver.submit(view_id, typed)).json()["view"]
    choice = next(b for b in view["blocks"] if b["block_id"] == "field:send_as_typed")
    options = {o["text"]["text"]: o["value"] for o in choice["element"]["options"]}
    assert list(options) == [
        "AWS access key in Message, line 1 (AKIA…MPLE)",
        "password or secret in Message, line 2 (hu…77)",
    ]
    aws = options["AWS access key in Message, line 1 (AKIA…MPLE)"]
    await bot.driver.submit(view_id, {"send_as_typed": aws}, view={**view, "id": view_id})
    await slack.wait_for("chat.postMessage")
    sent = next(r.body for r in hostup.requests if r.method == "POST")
    assert sent["message"].startswith(
        "public id AKIAIOSFODNN7EXAMPLE\npassword=[redacted: password or secret]"
    )
    (audit,) = [r for r in caplog.records if getattr(r, "audit", None) == "sent_as_typed"]
    who = (audit.user, audit.provider, audit.ticket, audit.count)  # type: ignore[attr-defined]
    assert who == ("UANA", "hostup", "10001", 1)
    _no_value_in(caplog.records, ("AKIAIOSFODNN7EXAMPLE", "hunter2-Prod-77"))


async def test_a_member_gets_no_choice_to_send_as_typed(
    hostup_bot: RunningBot, slack: FakeSlack
) -> None:
    slack.add_user("UBOB", "bob", "Bob Builder", "bob@example.com")
    view_id = await open_form(hostup_bot, user="UBOB")
    typed = {**FILLED, "subject": "db1 down", "description": "AKIAIOSFODNN7EXAMPLE"}
    view = (await hostup_bot.driver.submit(view_id, typed, user="UBOB")).json()["view"]
    assert "AKIA…MPLE" in modal_text(view)
    assert "field:send_as_typed" not in json.dumps(view)


async def test_filing_at_once_redacts_text_and_file_and_the_thread_says_so(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    alerts_channel(slack)
    bot = await make_bot(hostup_table(hostup), routes=FILE_AT_ONCE)
    events = EventsDriver(bot.driver)
    secrets = [example for kind, example, _ in SECRETS]
    log = slack.add_file("F0LOG", "app.log", "\n".join(f"ERROR {s}" for s in secrets).encode())
    shot = slack.add_file("F0PNG", "graph.png", b"\x89PNG" + b"0" * 300, "image/png")
    message = slack.post_as_bot(
        ALERTS,
        {
            "type": "message",
            "bot_id": "B0NAGIOS",
            "subtype": "bot_message",
            "text": "db1 login fails with ghp_16C7e42F292c6912E7710c838347Ae178B4a\n"
            "curl -u admin https://admin:Tr0ub4dor3x@db1.prod.internal/health",
            "files": [log, shot],
            "ts": f"{time.time() - 60:.6f}",
        },
    )
    await events.reaction("UBOB", ALERTS, message["ts"])
    card = (await slack.wait_for("chat.postMessage"))[0]
    ticket = next(iter(hostup.tickets.values()))
    assert "[redacted: GitHub token]" in ticket["subject"] + ticket["body"]
    assert "admin:[redacted: password in a URL]@db1" in ticket["body"]
    uploads = [r.body for r in hostup.requests if r.path == "/api/v2/support/attachments"]
    files = {u["file"]["filename"]: u["file"]["content"] for u in uploads}
    assert set(files) == {"app.log", "graph.png"}
    for kind, example, _ in SECRETS:
        assert f"[redacted: {kind}]".encode() in files["app.log"]
        assert secret_of(example).encode() not in files["app.log"]
    note = await _thread_note(slack, message["ts"])
    # the file's, and the GitHub token in both subject and description, and the URL password
    assert f"{len(SECRETS) + 3} secrets were redacted before this went to HostUp" in note
    assert "GitHub token ×3, password in a URL ×2" in note
    assert "; in app.log" in note and card["thread_ts"] == message["ts"]

    # a reply in the thread goes to the ticket redacted, and the thread is told
    reply = {
        "type": "message",
        "channel": ALERTS,
        "user": "UBOB",
        "text": "still failing, new token xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
        "ts": f"{time.time():.6f}",
        "thread_ts": message["ts"],
    }
    await bot.driver.event(reply, event_id="EvReply")
    await slack.wait_for("reactions.add")
    assert [m["body"] for m in ticket["messages"]] == [
        "bob (via Slack): still failing, new token [redacted: Slack token]"
    ]
    note = await _thread_note(slack, message["ts"], count=2)
    assert "1 secret was redacted before this went to HostUp (Slack token)." in note
    everything = json.dumps([r.body for r in hostup.requests], default=str)
    for _, example, _ in SECRETS:
        assert secret_of(example) not in everything
    _no_value_in(caplog.records)


async def _thread_note(slack: FakeSlack, thread_ts: str, count: int = 1) -> str:
    def notes() -> list[dict[str, Any]]:
        return [
            m
            for m in slack.calls_to("chat.postMessage")
            if m.get("thread_ts") == thread_ts and "redacted before this went" in m["text"]
        ]

    found = await slack.until(lambda: len(notes()) >= count and notes(), "the redaction note")
    return str(found[-1]["text"])


def _no_value_in(records: list[logging.LogRecord], values: tuple[str, ...] = ()) -> None:
    """No log record, its message or any field, holds a secret's value."""
    values = values or tuple(secret_of(example) for _, example, _ in EXAMPLES)
    for record in records:
        text = record.getMessage() + json.dumps(record.__dict__, default=str)
        for value in values:
            assert value not in text, f"{record.name}: {record.msg}"


async def test_a_comment_the_bot_adds_is_redacted_and_the_thread_told(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    view_id = await open_form(hostup_bot)
    await hostup_bot.driver.submit(view_id, {**FILLED, "subject": "db1", "description": "down"})
    await slack.wait_for_text(view_id, "#10001")  # the card's thread is recorded by then
    record = await hostup_bot.deps.store.tickets.ticket(1)
    assert record is not None and record.thread_ts
    body = "The alert fired again: curl https://ops:Tr0ub4dor3x@db1.prod.internal/health"
    assert await hostup_bot.deps.comments.add(record, "refire:1:test", body)
    ticket = next(iter(hostup.tickets.values()))
    assert [m["body"] for m in ticket["messages"]] == [
        "The alert fired again: curl https://ops:[redacted: password in a URL]@db1.prod.internal"
        "/health"
    ]
    note = await _thread_note(slack, record.thread_ts)
    assert "1 secret was redacted before this went to HostUp (password in a URL)." in note


# Text people paste: ops words, digits, punctuation that the patterns key on, whitespace.
PASTE = st.lists(
    st.sampled_from(
        [
            *"abcxyzAKIQ0123456789 \t\n:=@/._-+~'\"`{}[]()$*<>",
            *("password", "token", "key", "://", "AKIA", "ghp_", "xoxb-", "eyJ", "-----BEGIN "),
        ]
    ),
    max_size=200,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(PASTE)
def test_any_text_scans_into_ordered_spans_it_can_redact(text: str) -> None:
    found = scan(text, EVERYTHING)
    ends = [0]
    for finding in found:
        assert ends[-1] <= finding.start < finding.end <= len(text)
        ends.append(finding.end)
    sent = redact(text, found)
    assert sent.count("[redacted: ") >= len(found)


@settings(max_examples=200, deadline=None)
@given(PASTE, PASTE, st.sampled_from([e for e in EXAMPLES if e[0] != "phone number"]))
def test_a_secret_anywhere_in_pasted_text_does_not_reach_the_provider(
    before: str, after: str, example: tuple[str, str, str]
) -> None:
    _, value, _ = example
    text = f"{before}\n{value}\n{after}"
    assert secret_of(value) not in redact(text, scan(text, EVERYTHING))


async def test_a_workflow_step_files_redacted_and_the_thread_says_so(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    from tests.test_workflow_step import ROUTE, creates, inputs

    bot = await make_bot(hostup_table(hostup, extra=ALL_KINDS), routes=ROUTE)
    description = "Rotate it: sk_live_51H8qLmKz3xYv9TqRwEaBcDe, on-call jane.doe@example.com"
    execution = slack.start_execution()
    await EventsDriver(bot.driver).step(execution, inputs(description=description))
    await slack.wait_for("functions.completeSuccess")
    (sent,) = creates(hostup)
    assert sent["message"].startswith(
        "Rotate it: [redacted: Stripe key], on-call [redacted: e-mail address]"
    )
    card = slack.channels["C0GENERAL"].messages[0]
    note = await _thread_note(slack, card["ts"])
    assert "2 findings were redacted before this went to HostUp" in note


async def test_add_to_a_ticket_sends_the_message_and_its_file_redacted(
    make_bot: BotFactory, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    from bot.slack.views.ids import BlockId
    from tests.test_add_to_ticket import _add_form, _filed

    bot = await make_bot(hostup_table(hostup))
    card = await _filed(bot, slack)
    info = slack.add_file("F1", "env.txt", b"DB_PASSWORD=hunter2-Prod-77\nLOG_LEVEL=info\n")
    message = slack.post_as_bot(
        "C0GENERAL",
        {"text": "new key: ghp_16C7e42F292c6912E7710c838347Ae178B4a", "user": "UANA",
         "files": [info]},
    )  # fmt: skip
    view_id = await _add_form(bot, message)
    ticket_id = str((await bot.deps.store.tickets.tickets_by_number("T0001", "10001"))[0].id)
    await bot.driver.submit(view_id, {BlockId.ADD_PICK: ticket_id})
    await slack.wait_for_text(view_id, "Added to")
    assert "1 secret was redacted before this went to HostUp" in slack.view_text(view_id)
    ticket = next(iter(hostup.tickets.values()))
    (comment,) = [m["body"] for m in ticket["messages"]]
    assert "new key: [redacted: GitHub token]" in comment and "ghp_16C7" not in comment
    upload = next(
        r.body for r in hostup.requests if r.path == "/api/v2/support/attachments"
    )  # fmt: skip
    assert upload["file"]["content"] == b"DB_PASSWORD=[redacted: password or secret]\n" + (
        b"LOG_LEVEL=info\n"
    )
    note = await _thread_note(slack, card["ts"])  # the comment's, in the card's thread
    assert "1 secret was redacted before this went to HostUp (GitHub token)." in note


def long_jwt(claim_chars: int) -> str:
    """A JWT as an identity provider issues them (Entra ID and Google tokens run to 1,500+
    characters): a JSON header and payload, base64url, and a signature."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = part(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "k1"}).encode())
    payload = part(json.dumps({"sub": "u1", "groups": "g" * claim_chars}).encode())
    return f"{header}.{payload}.{part(bytes(range(256)))}"


LONG_SECRETS = {
    "jwt": long_jwt(1_100),
    "bearer": "Authorization: Bearer " + "Ab9-" * 300,
    "bearer at its longest": "Authorization: Bearer " + "Ab9-" * 1_024,
}


@pytest.mark.parametrize("name", list(LONG_SECRETS))
@pytest.mark.parametrize("offset", [0, 1_300, 1_400, 1_530, 1_600, 1_800, 2_040, 3_000, 3_500])
def test_a_long_secret_is_redacted_whole_wherever_the_scan_windows_cut_it(
    name: str, offset: int
) -> None:
    """The scan reads text in 2,048-character windows: a token longer than their overlap that
    crossed an edge was seen only in halves (the JWT's check failed; a bearer token's tail
    beyond the edge went out)."""
    secret = LONG_SECRETS[name]
    token = secret.rsplit(" ", 1)[-1]
    text = "see " * (offset // 4) + secret + "\nthanks"
    sent = redact(text, scan(text, EVERYTHING))
    assert token[:24] not in sent and token[-24:] not in sent, sent[-200:]
