"""The docs say what the code has: every config key and metric is documented, every metric the
docs (and deploy/) name is one the bot exports, and the metrics table in docs/operations.md is
generated from the code (``python -m tests.test_docs`` rewrites it)."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from prometheus_client.metrics import MetricWrapperBase
from pydantic import BaseModel

from bot.domain.routes import Route
from bot.metrics import Metrics
from bot.providers.config import ProviderConfigBase
from bot.providers.registry import REGISTRY
from bot.settings import EnvSettings, Options

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ROOT / "docs" / "operations.md"
BEGIN = (
    "<!-- metrics: generated from bot/metrics.py by `python -m tests.test_docs`; do not edit -->"
)
END = "<!-- end of metrics -->"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
}
# Process metrics the rules and dashboard use, from prometheus_client's ProcessCollector.
PROCESS = ("process_start_time_seconds", "process_resident_memory_bytes", "process_cpu_seconds")
NOT_METRICS = {"ticketbot_schema"}  # the schema-version table, named in deploy.md


def families() -> list[tuple[str, str, tuple[str, ...], str]]:
    """(exported name, type, labels, help) of each documented metric, in the code's order."""
    metrics = Metrics()
    # NOTE: a family without samples yet does not show its labels; the metric objects know them
    labels = {
        m._name: tuple(m._labelnames)
        for m in vars(metrics).values()
        if isinstance(m, MetricWrapperBase)
    }
    found = []
    for family in metrics.registry.collect():
        if not family.name.startswith("ticketbot_") and family.name not in PROCESS:
            continue
        name = family.name + ("_total" if family.type == "counter" else "")
        found.append((name, family.type, labels.get(family.name, ()), family.documentation))
    return found


def exported_names() -> set[str]:
    """Every sample name /metrics can carry for the documented families."""
    names = set()
    for name, kind, _, _ in families():
        base = name.removesuffix("_total")
        # NOTE: a counter is queried as …_total; a histogram is named by its family
        names |= {name, *(base + s for s in SUFFIXES.get(kind, ()))}
    return names


def metrics_table() -> str:
    rows = ["| metric | type | labels | what |", "| --- | --- | --- | --- |"]
    for name, kind, labels, text in families():
        shown = ", ".join(f"`{label}`" for label in labels) or "–"
        rows.append(f"| `{name}` | {kind} | {shown} | {text.replace('|', '/')} |")
    return "\n".join([BEGIN, *rows, END])


def documented_table() -> str:
    text = OPERATIONS.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    return text[start : end + len(END)] if start >= 0 and end > start else ""


def test_the_metrics_table_is_the_codes() -> None:
    assert documented_table() == metrics_table(), (
        "docs/operations.md's metrics table differs from bot/metrics.py: run "
        "`python -m tests.test_docs` to regenerate it"
    )


def test_every_metric_named_in_the_docs_and_deploy_is_exported() -> None:
    places = [*ROOT.glob("docs/*.md"), ROOT / "README.md", *ROOT.glob("deploy/**/*.*")]
    exported = exported_names()
    unknown = {
        f"{place.relative_to(ROOT)}: {name}"
        for place in places
        for name in re.findall(r"\bticketbot_[a-z_]+[a-z]", place.read_text(encoding="utf-8"))
        if name not in exported and name not in NOT_METRICS
    }
    assert not unknown, f"named but not exported: {sorted(unknown)}"


def keys(model: type[BaseModel]) -> set[str]:
    secrets = getattr(model, "secret_fields", ())
    return {
        f"{name}_env" if name in secrets else name for name in model.model_fields if name != "name"
    }


def test_every_config_key_is_documented() -> None:
    configuration = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    providers = (ROOT / "docs" / "providers.md").read_text(encoding="utf-8")
    missing = [
        f"environment: {n.upper()}"
        for n in EnvSettings.model_fields
        if f"`{n.upper()}`" not in configuration
    ]
    missing += [f"[ticketbot] {k}" for k in keys(Options) if f"`{k}`" not in configuration]
    missing += [f"[[routes]] {k}" for k in keys(Route) if f"`{k}`" not in configuration]
    missing += [
        f"[providers.*] {k}" for k in keys(ProviderConfigBase) if f"`{k}`" not in configuration
    ]
    for kind, entry in REGISTRY.items():
        own = keys(entry.config) - keys(ProviderConfigBase)
        missing += [
            f"[providers.{kind}] {k}" for k in own if f"`{k}`" not in providers + configuration
        ]
    assert not missing, f"config keys missing from docs/configuration.md or providers.md: {missing}"


def test_the_version_is_the_changelogs_newest_release() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d\d-\d\d$", changelog, re.M)
    assert released, "CHANGELOG.md has no `## [x.y.z] - YYYY-MM-DD` section"
    assert released[0] == version["version"], (
        f"pyproject.toml says {version['version']}, CHANGELOG.md's newest release {released[0]}"
    )


if __name__ == "__main__":  # rewrite the generated table
    text = OPERATIONS.read_text(encoding="utf-8")
    old = documented_table()
    if not old:
        sys.exit(f"{OPERATIONS}: no {BEGIN!r} … {END!r} block to fill")
    OPERATIONS.write_text(text.replace(old, metrics_table()), encoding="utf-8")
