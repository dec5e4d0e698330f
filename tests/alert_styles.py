"""Alert messages from each tool as they fire and as they resolve, for the lifecycle tests: the
same identity (Alertmanager's group key, Grafana's rule, Datadog's monitor, PagerDuty's
incident) in each, as the tools send them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).resolve().parent / "payloads"
STYLES = ("alertmanager", "grafana", "datadog", "pagerduty")


def firing(style: str, ts: str) -> dict[str, Any]:
    message: dict[str, Any] = json.loads((PAYLOADS / f"{style}.json").read_text("utf-8"))
    message = {k: v for k, v in message.items() if not k.startswith("_")}
    message["ts"] = ts
    return message


def resolved(style: str, ts: str) -> dict[str, Any]:
    """The tool's recovery message for the alert ``firing(style)`` is about."""
    message = copy.deepcopy(firing(style, ts))
    if style in ("alertmanager", "grafana"):
        attachment = message["attachments"][0]
        attachment["color"] = "good"
        attachment["title"] = attachment["title"].replace("[FIRING:2]", "[RESOLVED]")
        attachment["title"] = attachment["title"].replace("[FIRING:1]", "[RESOLVED]")
        attachment["fallback"] = attachment["title"]
        attachment["text"] = "**Resolved**" if style == "grafana" else attachment["text"]
    elif style == "datadog":
        message["text"] = "Recovered: [P1] Disk space low on db-1"
        message["blocks"][0]["text"]["text"] = "Recovered: [P1] Disk space low on db-1"
    else:  # pagerduty
        message["text"] = "Incident resolved: [#4521] Checkout API latency above SLO"
        message["blocks"][0]["elements"][0]["elements"][0]["text"] = "Resolved"
    return message
