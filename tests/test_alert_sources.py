"""The catalogue of alert sources against every fixture in tests/payloads/alerts/ (each rendered
from its tool's own code, default template or docs; ``_source`` says which): the tool, the
subject, the severity, the resolved state and the facts a careful person would read
(``_expect``), one identity per alert, and no exception on any shape (Hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.alerts.custom import AlertSourceConfig, build
from bot.alerts.generic import title_key
from bot.alerts.reader import AlertReader, mentioned_users
from bot.domain.alerts import alert_key
from tests.alert_sources import ALERTS, ROWS, Row, expect, fixture, message, squash, words

FIXTURES = sorted(ALERTS.glob("*/*.json"))
# NOTE: the reader the bot builds when the config has no [[alert_sources]]
read_alert = AlertReader().read

# Facts of ``_expect`` that are a reader's summary rather than words of the message.
SUMMARIES = {
    ("alertmanager", "default.group-partial.firing"): {"2 firing"},  # it says [FIRING:2]
    ("grafana", "unified.group-mixed.firing"): {"web-2:9100 firing", "web-1:9100 resolved"},
    # NOTE: the fixture's facts repeat the firing's value; the message says A=95.02
    ("grafana", "unified.refire"): {"A=93.71"},
    ("uptime-kuma", "http-rich.firing"): {"2026-12-07 01:40:12 Europe/Berlin"},
    ("uptime-kuma", "http-rich.resolved"): {"2026-12-07 01:52:40 Europe/Berlin"},
}


def _read(path: Path) -> tuple[str, str, dict[str, Any]]:
    tool, name = path.parent.name, path.name.removesuffix(".json")
    data = fixture(tool, name)
    return tool, name, data.get("message", data) if "previous_message" in data else data


@pytest.mark.parametrize("path", FIXTURES, ids=[f"{p.parent.name}/{p.stem}" for p in FIXTURES])
def test_each_fixture_reads_as_its_tool_says(path: Path) -> None:
    tool, name, data = _read(path)
    told = expect(tool, name)
    alert = read_alert(data)
    assert alert.source == tool
    assert alert.resolved is told["resolved"]
    if told.get("severity"):
        assert alert.severity == told["severity"]
    assert words(title_key(told["subject"])) <= words(title_key(alert.subject)), alert.subject
    for raw in ("http", "<", "*", "`", "&amp;", "&gt;"):
        assert raw not in alert.subject, (raw, alert.subject)
    assert alert.identity is not None
    said = squash(f"{alert.subject}\n{alert.body}")
    missing = [
        f
        for f in told.get("facts", [])
        if squash(f) not in said and f not in SUMMARIES.get((tool, name), set())
    ]
    assert missing == []


def _identity(tool: str, name: str) -> str | None:
    return read_alert(message(tool, name, "1.0")).identity


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_one_identity_from_firing_to_resolved(row: Row) -> None:
    first = _identity(row.tool, row.firing)
    assert first is not None
    again = _identity(row.tool, row.refire) if row.refire else first
    assert again == first
    if row.resolved:
        data = fixture(row.tool, row.resolved)
        later = data["message"] if data.get("subtype") == "message_changed" else data
        assert read_alert(later).identity == first


@pytest.mark.parametrize("path", FIXTURES, ids=[f"{p.parent.name}/{p.stem}" for p in FIXTURES])
def test_a_glance_says_what_a_read_says_of_which_alert_it_is(path: Path) -> None:
    """Following an alert up reads it with ``glance``: the same source, identity, state and
    sender as a full read, only without the subject, body and severity."""
    _, _, data = _read(path)
    read, glanced = AlertReader().read(data), AlertReader().glance(data)
    assert glanced == replace(read, subject="", body="", severity=None)


def test_different_alerts_never_share_an_identity() -> None:
    by_alert = {
        alert_key("C0OPS", read_alert(message(row.tool, row.firing, "1.0"))): row.id for row in ROWS
    }
    # NOTE: Alertmanager's default and Monzo rows are one alert (its labels) from one webhook
    # in two templates; a team uses one of them
    assert len(by_alert) == len(ROWS) - 1
    for other in (
        ("alertmanager", "default.group-partial.firing"),
        ("falco", "sensitive-file.firing"),
    ):
        assert alert_key("C0OPS", read_alert(message(*other, "1.0"))) not in by_alert


def test_a_look_alike_from_another_channel_or_app_has_another_key() -> None:
    posted = read_alert(message("zabbix", "problem.firing", "1.0"))
    copied = read_alert(message("zabbix", "problem.firing", "1.0") | {"bot_id": "B0OTHERAPP"})
    assert posted.identity == copied.identity
    assert alert_key("C0OPS", posted) != alert_key("C0OPS", copied)
    assert alert_key("C0OPS", posted) != alert_key("C0ELSE", posted)
    assert alert_key("C0OPS", posted) == alert_key(
        "C0OPS", read_alert(message("zabbix", "problem.refire", "2.0"))
    )


def test_a_person_pasting_an_alert_has_no_key_for_a_generic_message() -> None:
    pasted = read_alert({"type": "message", "user": "U0ANA", "text": "CPU high on web-1"})
    assert pasted.identity is None and alert_key("C0OPS", pasted) is None


def test_an_unknown_tool_is_known_by_its_title_without_status_words() -> None:
    def post(title: str) -> str | None:
        return read_alert({"bot_id": "B0HOMEMADE", "text": title}).identity

    assert post("FIRING: queue backlog on worker-3 (12:40:00)") == post(
        "RESOLVED: queue backlog on worker-3 (13:05:11)"
    )
    assert post("FIRING: queue backlog on worker-3") != post("FIRING: queue backlog on worker-4")


def test_the_teams_own_source_from_the_config() -> None:
    own = build(
        AlertSourceConfig(
            name="nightwatch",
            bot_names=("Nightwatch",),
            identity=r"check=(?P<identity>[\w.-]+)",
            subject=r"^\w+: (?P<subject>[^\n]+)",
            resolved=r"^RESOLVED\b",
        )
    )
    reader = AlertReader((own,))
    base = {"bot_id": "B0NW", "username": "Nightwatch"}
    fired = reader.read(base | {"text": "FIRING: backups late\ncheck=backup.db1"})
    over = reader.read(base | {"text": "RESOLVED: backups late\ncheck=backup.db1"})
    assert (fired.source, fired.subject, fired.resolved) == ("nightwatch", "backups late", False)
    assert over.resolved and over.identity == fired.identity == "nightwatch:backup.db1"


# --- no shape raises ------------------------------------------------------------------------

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
_any = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["text", "title", "fields", "value", "elements", "type", "url", "blocks", "color"]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=25,
)
_keys = ["text", "attachments", "blocks", "bot_id", "username", "bot_profile", "user", "app_id"]
_messages = st.dictionaries(st.sampled_from(_keys), _any, max_size=6) | _any


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_messages)
def test_no_message_shape_raises(shape: Any) -> None:
    alert = read_alert(shape)
    mentioned_users(shape)
    assert isinstance(alert.subject, str) and isinstance(alert.body, str)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {"title": _any, "fields": st.lists(_scalars | st.text() | _any, max_size=3)}
        ),
        max_size=3,
    )
)
def test_attachment_fields_of_any_type_are_read(attachments: list[Any]) -> None:
    """#27: ``fields`` holding strings raised AttributeError in the old fingerprint reader."""
    read_alert({"bot_id": "B0X", "attachments": attachments})
    read_alert({"bot_id": "B0X", "attachments": [{"fields": ["a", "b", 3, None]}]})


def test_the_sender_names_its_tool_before_the_content_does() -> None:
    """A PagerDuty incident raised by a Datadog monitor links the monitor: still PagerDuty's."""
    incident = message("pagerduty", "incident.firing", "1.0")
    incident["text"] += " <https://app.datadoghq.com/monitors/123|monitor>"
    assert read_alert(incident).source == "pagerduty"
    anonymous = incident | {"bot_profile": {}, "username": "relay"}
    assert read_alert(anonymous).source == "datadog"  # content only: the first that knows it


def test_a_long_identity_makes_a_short_key() -> None:
    long = read_alert({"bot_id": "B0X", "text": "FIRING: " + "disk " * 100})
    short = read_alert({"bot_id": "B0X", "text": "FIRING: disk"})
    key = alert_key("C0OPS", long)
    assert key is not None and len(key) < 60 and key != alert_key("C0OPS", short)
    assert key == alert_key(
        "C0OPS", read_alert({"bot_id": "B0X", "text": "RESOLVED: " + "disk " * 100})
    )
