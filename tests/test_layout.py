"""The layering, as a test: which package may import which (docs/architecture.md)."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
SLACK_LIBRARIES = ("slack_bolt", "slack_sdk", "aiohttp")

# package → the packages of ours it must never import (a prefix matches its submodules)
NEVER = {
    "bot.domain": ("bot.",),  # but itself: see ``_ours``
    "bot.providers": (
        "bot.slack",
        "bot.store",
        "bot.tickets",
        "bot.lane",
        "bot.settings",
        "bot.background",
        "bot.compose",
        "bot.runtime",
    ),
    "bot.store": (
        "bot.slack",
        "bot.providers",
        "bot.tickets",
        "bot.lane",
        "bot.settings",
        "bot.background",
        "bot.compose",
        "bot.runtime",
    ),
    "bot.slack.views": ("bot.",),  # but the domain and the views themselves
    # services parse no Slack message shapes: they get a domain Alert, never the reader
    "bot.tickets": (
        "bot.slack",
        "bot.background",
        "bot.compose",
        "bot.runtime",
        "bot.lane",
        "bot.settings",
        "bot.alerts",
    ),
    # the alert readers are pure: Slack message in, domain Alert out
    "bot.alerts": (
        "bot.slack",
        "bot.store",
        "bot.providers",
        "bot.tickets",
        "bot.lane",
        "bot.settings",
        "bot.background",
        "bot.compose",
        "bot.runtime",
    ),
    "bot.background": ("bot.slack", "bot.store", "bot.providers", "bot.compose", "bot.runtime"),
    # the Slack layer gets a SlackContext from the root above it, and never reaches the store
    "bot.slack": ("bot.compose", "bot.runtime", "bot.store"),
    "bot.disclosure": ("bot.",),  # the scan: the domain and itself only
}
ALLOWED_WITHIN = {
    "bot.domain": ("bot.domain",),
    "bot.slack.views": ("bot.domain", "bot.slack.views"),
    "bot.disclosure": ("bot.domain", "bot.disclosure"),
}
NO_SLACK_LIBRARIES = (
    "bot.domain",
    "bot.providers",
    "bot.store",
    "bot.tickets",
    "bot.background",
    "bot.alerts",
    "bot.disclosure",
)
# keys only a Slack message has: a service that reads them parses Slack shapes
SLACK_MESSAGE_KEYS = {"attachments", "blocks", "bot_id", "bot_profile", "rich_text", "mrkdwn"}
# the composition root, and who may import it: the CLI (and the root's own background life)
ROOT_MODULES = {
    "bot.compose": ("bot.cli", "bot.links_cli", "bot.runtime"),
    "bot.runtime": ("bot.cli",),
}


@dataclass(frozen=True)
class Source:
    path: Path
    tree: ast.Module


@pytest.fixture(scope="module")
def sources() -> dict[str, Source]:
    """Every module of ``bot``, parsed once for all the rules below."""
    return {_module(path): Source(path, ast.parse(path.read_text())) for path in BOT.rglob("*.py")}


@pytest.fixture(scope="module")
def graph(sources: dict[str, Source]) -> dict[str, set[str]]:
    """Each module → every name it imports (ours or not)."""
    return {module: set(_imports(source.tree)) for module, source in sources.items()}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            if node.module == "bot":  # ``from bot import lane``
                yield from (f"bot.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _under(sources: dict[str, Source], folder: Path) -> list[Source]:
    return [source for source in sources.values() if source.path.is_relative_to(folder)]


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_each_layer_imports_only_what_it_may(graph: dict[str, set[str]]) -> None:
    broken = []
    for module, imports in sorted(graph.items()):
        for package, never in NEVER.items():
            if not _in(module, package):
                continue
            allowed = ALLOWED_WITHIN.get(package, ())
            for name in imports:
                if any(_in(name, a) for a in allowed) or name == "bot":
                    continue
                if any(name == n or name.startswith(n) for n in never):
                    broken.append(f"{module} imports {name}")
        if any(_in(module, p) for p in NO_SLACK_LIBRARIES):
            broken += [
                f"{module} imports {name}"
                for name in imports
                if name.split(".")[0] in SLACK_LIBRARIES
            ]
    assert broken == []


def test_only_the_cli_imports_the_composition_root(graph: dict[str, set[str]]) -> None:
    """The root builds everything and is imported by nothing it builds (tests import it too)."""
    found = [
        f"{module} imports {name}"
        for module, imports in sorted(graph.items())
        for name in imports
        if name in ROOT_MODULES and module not in ROOT_MODULES[name]
    ]
    assert found == []


def test_the_slack_layer_never_touches_the_store_and_listeners_call_no_adapter(
    sources: dict[str, Source],
) -> None:
    """Nothing under ``bot/slack`` reads a ``.store``; a listener acks, parses, calls one
    service and renders: a provider's own calls (every coroutine of ``bot.providers.base``'s
    protocols: the form's look-ups, create, get, reply…) are the services' business."""
    adapter_calls = _provider_coroutines(sources["bot.providers.base"].tree)
    found = []
    for source in _under(sources, BOT / "slack"):
        name, listener = source.path.name, "listeners" in source.path.parts
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Attribute) and node.attr == "store":
                found.append(f"{name}:{node.lineno} .store")
            if listener and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = node.func.value
                if _a_provider(receiver) and node.func.attr in adapter_calls:
                    found.append(f"{name}:{node.lineno} {ast.unparse(node.func)}")
    assert found == []
    assert {"form", "create", "get", "reply"} <= adapter_calls  # the rule reads the protocols


def test_the_slack_context_holds_no_store_and_no_raw_http_client() -> None:
    from bot.slack.context import SlackContext

    kinds = {field.name: str(field.type) for field in dataclasses.fields(SlackContext)}
    assert [name for name, kind in kinds.items() if "Store" in kind or "httpx" in kind] == []


def _a_provider(node: ast.expr) -> bool:
    """``provider``, ``deps.providers[name]``, ``deps.filing.provider(name)``: an adapter."""
    if isinstance(node, ast.Name | ast.Attribute):
        name = node.id if isinstance(node, ast.Name) else node.attr
        return name == "provider" or name.endswith("_provider")
    if isinstance(node, ast.Subscript):
        return ast.unparse(node.value).endswith("providers")
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Attribute) and node.func.attr == "provider"
    return False


def _provider_coroutines(tree: ast.Module) -> set[str]:
    return {
        node.name
        for cls in tree.body
        if isinstance(cls, ast.ClassDef)
        for node in cls.body
        if isinstance(node, ast.AsyncFunctionDef)
    }


# what turns given values into a draft: a listener asks ``bot.tickets.drafting.Drafting`` (or
# ``bot.tickets.auto_filing.AutoFiling``), so every trigger applies the same rules
DRAFTING_RULES = {
    "bot.tickets.forms": None,  # the whole module
    "bot.tickets.auto_file": None,  # replaced by the two services
    "bot.tickets.prefill": {"fit_to_form"},
    "bot.tickets.routing": {"route_values"},
    "bot.tickets.drafting": {"form_defaults", "FILE_AS"},
}


def test_listeners_leave_drafting_to_its_service(sources: dict[str, Source]) -> None:
    found = []
    for source in _under(sources, BOT / "slack"):
        for node in ast.walk(source.tree):
            if not isinstance(node, ast.ImportFrom) or node.module not in DRAFTING_RULES:
                continue
            names = DRAFTING_RULES[node.module]
            found += [
                f"{source.path.relative_to(ROOT)}:{node.lineno} {node.module}.{alias.name}"
                for alias in node.names
                if names is None or alias.name in names or alias.name.startswith("_")
            ]
    assert found == []


def test_services_parse_no_slack_message_shapes(sources: dict[str, Source]) -> None:
    """Reading an alert message is ``bot.alerts``' job; services get a domain ``Alert``."""
    found = [
        f"{source.path.relative_to(ROOT)}:{node.lineno} {node.value!r}"
        for source in _under(sources, BOT / "tickets")
        for node in ast.walk(source.tree)
        if isinstance(node, ast.Constant) and node.value in SLACK_MESSAGE_KEYS
    ]
    assert found == []


def test_services_are_handed_repositories_not_the_store(graph: dict[str, set[str]]) -> None:
    """Each service gets the repositories it uses (``bot.store.submissions``, …); the whole
    ``Store`` is the composition root's and the runtime's."""
    found = [
        f"{module} imports {name}"
        for module, imports in sorted(graph.items())
        if _in(module, "bot.tickets") or _in(module, "bot.background")
        for name in imports
        if name in ("bot.store", "bot.store.store")
    ]
    assert found == []


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    ours = {
        module: {name for name in imports if name in graph} for module, imports in graph.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for name in sorted(ours[module]):
            if state.get(name) == 1:
                cycles.append([*stack[stack.index(name) :], name])
            elif name not in state:
                visit(name)
        stack.pop()
        state[module] = 2

    for module in sorted(ours):
        if module not in state:
            visit(module)
    assert cycles == []
