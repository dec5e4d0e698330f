"""deploy/prometheus/rules.yml and deploy/grafana/ticketbot.json against the bot: the rules
check and pass their unit tests (promtool), each alert has its runbook, and every metric and
label a rule or a panel names is one a running bot exports on /metrics.

promtool comes with Debian's ``prometheus`` package (``.ci/run`` installs it); without it these
tests are skipped locally, saying so, and fail under CI (``CI=true``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RunningBot
from tests.fakes.hostup import FakeHostUp
from tests.fakes.slack_api import FakeSlack
from tests.flows import open_form
from tests.test_durable import FILLED

ROOT = Path(__file__).resolve().parent.parent
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "ticketbot.json"
OPERATIONS = ROOT / "docs" / "operations.md"
TARGET_LABELS = {"job", "instance", "le"}  # added by Prometheus at scrape time; `le`: buckets
METRIC = re.compile(r"\b((?:ticketbot|process)_[a-z_]*[a-z])\b(\{[^}]*\})?")
GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)")
MATCHER = re.compile(r"([a-z_]+)\s*(?:=~|!~|!=|=)")


def promtool() -> str:
    found = shutil.which("promtool")
    if found:
        return found
    why = "promtool is not installed (apt-get install prometheus; .ci/run installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
    )


def rules() -> list[dict[str, Any]]:
    data = yaml.safe_load((PROMETHEUS / "rules.yml").read_text(encoding="utf-8"))
    return [rule for group in data["groups"] for rule in group["rules"]]


def panel_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_rules_check_and_pass_their_unit_tests() -> None:
    checked = run_promtool("check", "rules", "rules.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = run_promtool("test", "rules", "rules.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    tested_alerts = set(
        re.findall(r"alertname: (\w+)", (PROMETHEUS / "rules.test.yml").read_text())
    )
    assert tested_alerts == {rule["alert"] for rule in rules()}, "every alert has a unit test"


def test_every_alert_has_a_summary_and_a_runbook_section() -> None:
    headings = {
        re.sub(r"[^a-z0-9-]", "", line.lstrip("#").strip().lower().replace(" ", "-"))
        for line in OPERATIONS.read_text(encoding="utf-8").splitlines()
        if line.startswith("### ")
    }
    for rule in rules():
        anchor = rule["annotations"]["runbook"].removeprefix("docs/operations.md#")
        assert rule["annotations"]["summary"], rule["alert"]
        assert anchor == rule["alert"].lower() and anchor in headings, rule["alert"]


def used(query: str) -> dict[str, set[str]]:
    """The metrics a PromQL query names, each with the labels it matches, groups or joins by
    (a grouping is charged to every metric of the query)."""
    found: dict[str, set[str]] = defaultdict(set)
    for name, matchers in METRIC.findall(query):
        found[name] |= set(MATCHER.findall(matchers or ""))
    grouped = {label.strip() for group in GROUPING.findall(query) for label in group.split(",")}
    for name in found:
        found[name] |= grouped - {""}
    return found


async def scrape(bot: RunningBot) -> tuple[dict[str, set[str]], dict[str, float]]:
    """Every sample name on /metrics, with the labels its samples carry; the unlabelled
    samples' values."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{bot.url}/metrics")).text
    exported: dict[str, set[str]] = defaultdict(set)
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            exported[sample.name] |= set(sample.labels)
            if not sample.labels:
                values[sample.name] = sample.value
    return exported, values


async def test_rules_and_panels_name_only_what_the_bot_exports(
    hostup_bot: RunningBot, hostup: FakeHostUp, slack: FakeSlack
) -> None:
    """The bot exercised so every labelled metric has samples: a ticket filed after one failed
    attempt (a provider error and a retry), one Slack call failing (its card owed), and one
    filed with a secret in it, redacted."""
    view_id = await open_form(hostup_bot)
    hostup.fail(status=500, path_contains="/support/tickets")
    slack.fail(status=500, path_contains="chat.postMessage")
    await hostup_bot.driver.submit(view_id, FILLED)
    await slack.wait_for_text(view_id, "#10001", within=10)
    view_id = await open_form(hostup_bot)
    shown = await hostup_bot.driver.submit(
        view_id, {**FILLED, "subject": "key AKIAIOSFODNN7EXAMPLE"}
    )
    await hostup_bot.driver.submit(view_id, {}, view={**shown.json()["view"], "id": view_id})
    await slack.wait_for_text(view_id, "#10002", within=10)
    await hostup_bot.driver.send(b"{}", "application/json", signature="v0=" + "0" * 64)
    exported, values = await scrape(hostup_bot)
    assert (values["ticketbot_replicas_alive"], values["ticketbot_replicas_stale"]) == (1, 0)
    assert values["ticketbot_slack_calls_total"] > 0 and values["process_start_time_seconds"] > 0
    queries = {rule["alert"]: rule["expr"] for rule in rules()}
    queries |= {f"panel {n}": expr for n, expr in enumerate(panel_queries(), start=1)}
    problems = []
    for where, query in queries.items():
        for name, labels in used(query).items():
            if name not in exported:
                problems.append(f"{where}: {name} is not exported")
                continue
            names = {m for m, _ in METRIC.findall(query) if m in exported}
            known = set().union(*(exported[m] for m in names)) | TARGET_LABELS
            problems += [f"{where}: {name} has no label {label}" for label in labels - known]
    assert not problems, "\n".join(problems)
