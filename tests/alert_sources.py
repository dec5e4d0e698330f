"""The catalogue's fixtures (tests/payloads/alerts/<tool>/, each rendered from the tool's own
source, templates or docs and citing it in ``_source``) as the lifecycle tests use them.

Adding a tool to these tests is one fixture pair and one row of ``ROWS``.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ALERTS = Path(__file__).resolve().parent / "payloads" / "alerts"


@dataclass(frozen=True)
class Row:
    """One alert of one tool: its firing message, what it sends again, how it resolves."""

    tool: str
    firing: str
    refire: str | None = None  # None: the firing message, posted again
    resolved: str | None = None  # None: the tool never resolves (Falco)

    @property
    def id(self) -> str:
        return f"{self.tool}/{self.firing}->{self.resolved}"


ROWS = (
    Row("alertmanager", "default.firing", "default.refire", "default.resolved"),
    Row("alertmanager", "monzo.firing", None, "monzo.resolved"),
    # the same alert sent with a bot token and update_message: its first message edited
    Row("alertmanager", "default.update_message.resolved", None, "default.update_message.resolved"),
    Row("grafana", "unified.firing", "unified.refire", "unified.resolved"),
    Row("grafana", "legacy.firing", None, "legacy.resolved"),
    Row("datadog", "monitor.firing", "monitor.refire", "monitor.resolved"),
    Row("datadog", "simple.firing", None, "simple.resolved"),
    Row("pagerduty", "incident.firing", None, "incident.resolved"),
    Row("opsgenie", "alert.firing", None, "alert.resolved"),
    Row("newrelic", "issue.firing", None, "issue.resolved"),  # resolved in its thread
    Row("sentry", "issue.firing", "issue.refire", "issue.resolved"),
    Row("sentry", "metric.firing", None, "metric.resolved"),  # resolved in its thread
    Row("cloudwatch", "blueprint.firing", None, "blueprint.resolved"),
    Row("cloudwatch", "tf-notify-slack.firing", None, "tf-notify-slack.resolved"),
    Row("cloudwatch", "chatbot.firing", None, "chatbot.resolved"),
    Row("zabbix", "problem.firing", "problem.refire", "problem.resolved"),
    Row("checkmk", "service.firing", "service.refire", "service.resolved"),
    Row("checkmk", "host.firing", None, "host.resolved"),
    Row("icinga2", "nisabek-service.firing", "nisabek-service.refire", "nisabek-service.resolved"),
    Row("icinga2", "jjethwa-host.firing", None, "jjethwa-host.resolved"),
    Row("icinga2", "nagios-pl.firing", None, "nagios-pl.resolved"),
    Row("netdata", "cpu.firing", "cpu.refire", "cpu.resolved"),
    Row("uptime-kuma", "http-plain.firing", None, "http-plain.resolved"),
    Row("uptime-kuma", "http-rich.firing", None, "http-rich.resolved"),
    Row("healthchecks", "cron-timeout.firing", None, "cron-timeout.resolved"),
    Row("gatus", "endpoint.firing", None, "endpoint.resolved"),
    Row("falco", "shell-in-container.firing"),
    Row("gcp-monitoring", "incident.firing", None, "incident.resolved"),
    Row("azure-monitor", "metric-alert.firing", None, "metric-alert.resolved"),
)


def fixture(tool: str, name: str) -> dict[str, Any]:
    """The fixture as stored, ``_source`` and ``_expect`` included."""
    data: dict[str, Any] = json.loads((ALERTS / tool / f"{name}.json").read_text("utf-8"))
    return data


def expect(tool: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = fixture(tool, name)["_expect"]
    return found


def _bare(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not k.startswith("_")}


def is_edit(tool: str, name: str) -> bool:
    return fixture(tool, name).get("subtype") == "message_changed"


def message(tool: str, name: str, ts: str) -> dict[str, Any]:
    """A new message of the fixture, posted at ``ts``; for an edit fixture, the message as it
    was first posted (its ``previous_message``)."""
    data = _bare(fixture(tool, name))
    if data.get("subtype") == "message_changed":
        data = copy.deepcopy(data["previous_message"])
    data.pop("channel", None)
    data.pop("thread_ts", None)
    return data | {"ts": ts}


def in_thread(tool: str, name: str) -> bool:
    """The tool posts this one as a reply in its first message's thread."""
    return "thread_ts" in fixture(tool, name)


def firing(tool: str, ts: str) -> dict[str, Any]:
    """``tool``'s first row's firing message, posted at ``ts``."""
    row = next(r for r in ROWS if r.tool == tool)
    return message(tool, row.firing, ts)


def edit(tool: str, name: str, of: dict[str, Any], ts: str) -> dict[str, Any]:
    """The ``message_changed`` event of the fixture, editing message ``of`` at ``ts``."""
    event = copy.deepcopy(_bare(fixture(tool, name)))
    for key in ("message", "previous_message"):
        event[key]["ts"] = of["ts"]
    event["previous_message"] = {k: v for k, v in of.items() if k != "type"} | {"type": "message"}
    event["message"].setdefault("edited", {})["ts"] = ts
    event["ts"] = event["event_ts"] = ts
    return event


def words(text: str) -> set[str]:
    return set(re.sub(r"[\W_]+", " ", text.lower()).split())


def squash(text: str) -> str:
    """Text without punctuation or case: ``Old State: `OK` `` and ``Old State OK`` agree."""
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())
