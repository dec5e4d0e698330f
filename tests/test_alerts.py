"""Reading the project's own alert samples in tests/payloads/ (the tools' own renderings are
in tests/payloads/alerts/, see test_alert_sources.py) and Slack markup."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.alerts.kit import PAREN_TAIL_KEPT, without_paren_tail
from bot.alerts.reader import AlertReader, mentioned_users
from bot.alerts.text import plain

PAYLOADS = Path(__file__).resolve().parent / "payloads"
FIXTURES = sorted(PAYLOADS.glob("*.json"))
NAMES = {"U0ONCALL": "Olle On-call", "U0ANA": "ana"}
# NOTE: the reader the bot builds when the config has no [[alert_sources]]
read_alert = AlertReader().read


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_every_style_gives_subject_severity_and_identity(path: Path) -> None:
    message = load(path)
    expect = message["_expect"]
    alert = read_alert(message, NAMES)
    assert alert.subject == expect["subject"]
    assert alert.urgency == expect["severity"]
    assert alert.identity == expect["identity"]
    assert alert.body.strip()
    for raw in ("<http", "<@", "<!", "<#", "&amp;", "&gt;"):
        assert raw not in alert.body + alert.subject, raw


def test_alertmanager_body_is_readable() -> None:
    alert = read_alert(load(PAYLOADS / "alertmanager.json"), NAMES)
    assert (
        "Pod payments/api-7d9f is restarting 4.2 times / 10 minutes & failing readiness."
        in alert.body
    )
    assert "Dashboard (https://grafana.example.com/d/k8s) @here" in alert.body
    assert "Cluster: prod-eu-1" in alert.body
    assert "[FIRING:2] KubePodCrashLooping (https://alertmanager.example.com/" in alert.body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("backup at 10:35:00 :fire: failed", "backup at 10:35:00 failed"),
        ("*a* :smile::+1: ok", "a ok"),
        ("x:y:z and 12:00", "x:y:z and 12:00"),
    ],
)
def test_only_real_shortcodes_leave_a_subject(text: str, expected: str) -> None:
    """#29: the old stripper turned 10:35:00 into 1000 (CloudWatch, Falco times)."""
    assert read_alert({"text": text}).subject == expected


def test_blocks_inside_attachments_and_buttons_are_kept() -> None:
    message = {
        "bot_id": "B0SENTRY",
        "attachments": [
            {
                "color": "#FA4747",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "312 events"}}],
                "actions": [{"type": "button", "text": "Runbook", "url": "https://rb.example/x"}],
            }
        ],
        "blocks": [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Silence"},
                        "url": "https://am.example/silence",
                    }
                ],
            }
        ],
    }
    body = read_alert(message).body
    assert "312 events" in body
    assert "Runbook: https://rb.example/x" in body and "Silence: https://am.example/silence" in body


def test_datadog_fields_and_mentions() -> None:
    message = load(PAYLOADS / "datadog.json")
    assert mentioned_users(message) == {"U0ONCALL"}
    alert = read_alert(message, NAMES)
    assert "Host: db-1" in alert.body and "Env: prod" in alert.body
    assert "@Olle On-call please look" in alert.body
    assert "Monitor #8812345 (https://app.datadoghq.com/monitors/8812345)" in alert.body


def test_pagerduty_rich_text_and_fields() -> None:
    alert = read_alert(load(PAYLOADS / "pagerduty.json"), NAMES)
    assert alert.body.startswith(
        "Triggered [#4521] Checkout API latency above SLO (https://acme.pagerduty.com/"
    )
    assert "Service: Checkout API (https://acme.pagerduty.com/services/P1)" in alert.body
    assert "Assigned: @Olle On-call" in alert.body and "#incidents" in alert.body


def test_plain_text_paste() -> None:
    alert = read_alert(load(PAYLOADS / "plain.json"), NAMES)
    assert "> Error 809" in alert.body and "#network @channel" in alert.body


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<https://x.example/a|the graph>", "the graph (https://x.example/a)"),
        ("<https://x.example/a>", "https://x.example/a"),
        ("<mailto:a@example.com|Ana>", "Ana"),
        ("<@U0ANA> and <@U9|bob>", "@ana and @bob"),
        ("<#C1|ops>", "#ops"),
        ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
        ("<!subteam^S1|@oncall>", "@oncall"),
        ("Tom &amp; Jerry &lt;3", "Tom & Jerry <3"),
        ("*bold* and `code`", "bold and code"),
    ],
)
def test_markup_becomes_plain_words(markup: str, expected: str) -> None:
    assert plain(markup, NAMES) == expected


# What ``without_paren_tail`` did as a regex, kept as the oracle for the string methods.
OLD_PAREN_TAIL = re.compile(r"\s*\([^()]{0,2000}\)\s*$")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=" \t\n\u00a0()ab", max_size=40))
def test_the_paren_tail_is_dropped_as_the_regex_did(text: str) -> None:
    assert without_paren_tail(text) == OLD_PAREN_TAIL.sub("", text)


@pytest.mark.parametrize("inside", [0, 1, PAREN_TAIL_KEPT, PAREN_TAIL_KEPT + 1])
def test_the_paren_tail_is_dropped_up_to_its_length(inside: int) -> None:
    text = f"InstanceDown api-1 ({'n' * inside})  "
    assert without_paren_tail(text) == OLD_PAREN_TAIL.sub("", text)


@pytest.mark.parametrize("sender", ["Alertmanager", "Grafana"])
def test_a_title_with_a_long_run_of_spaces_is_read_at_once(sender: str) -> None:
    """A run of spaces in a title made the paren-tail regex try every start in it: 1.3 s of
    the event loop (the GIL held, a thread no help) for a 57 KB message any bot may post."""
    message = {
        "type": "message",
        "bot_id": "B1",
        "username": sender,
        "ts": "1.0",
        "attachments": [{"title": "[FIRING:1] a" + " \t" * 19_000 + "b", "fallback": "f"}],
    }
    reader = AlertReader()
    started = time.perf_counter()
    reader.glance(message)
    reader.read(message)
    assert time.perf_counter() - started < 0.25  # NOTE: 2.6 s before; ~5 ms now
