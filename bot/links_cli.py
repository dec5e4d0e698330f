"""``ticketbot links import FILE | export | forget USER``: bulk set-up and offboarding."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.store import LinkRow

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
CLI_ACTOR = "ticketbot links (CLI)"
HEADER = ["slack_user", "provider", "requester_id", "source", "created_by", "created_at"]
# NOTE: a cell starting with one of these is a formula to a spreadsheet; OWASP's "CSV
# injection" advice is to prefix it with a quote, which import_links strips again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def unsafe_cell(value: str) -> str:
    """The value ``safe_cell`` was given (a cell from an export imports back as it was)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


@dataclass(frozen=True)
class ImportReport:
    imported: int
    changed: int
    problems: list[str]


async def import_links(deps: Deps, team_id: str, lines: Iterable[str]) -> ImportReport:
    """Check every row, then write the good ones in one transaction; bad rows by line number."""
    rows: list[LinkRow] = []
    problems: list[str] = []
    by_lower = {name.lower(): name for name in deps.providers}
    for number, cells in enumerate(csv.reader(lines), start=1):
        cells = [unsafe_cell(c.strip()) for c in cells]
        if not any(cells) or cells[0].startswith("#") or (number == 1 and cells[:1] == [HEADER[0]]):
            continue
        if len(cells) < 3 or not all(cells[:3]):
            problems.append(
                f"line {number}: needs slack user (id or e-mail), provider, requester id"
            )
            continue
        who, provider_name, requester_id = cells[:3]
        provider = by_lower.get(provider_name.lower())
        if provider is None:
            problems.append(f"line {number}: no provider called {provider_name!r}")
            continue
        if problem := deps.providers[provider].requester_id_problem(requester_id):
            problems.append(f"line {number}: {problem}")
            continue
        user_id = await _user_id(deps, who)
        if user_id is None:
            problems.append(f"line {number}: no Slack user {who!r}")
            continue
        rows.append(LinkRow(user_id, provider, requester_id))
    changed = await deps.store.import_links(
        team_id=team_id, rows=rows, source="import", actor=CLI_ACTOR
    )
    return ImportReport(imported=len(rows), changed=changed, problems=problems)


async def _user_id(deps: Deps, who: str) -> str | None:
    if USER_ID.match(who):
        return who
    if "@" not in who:
        return None
    try:
        response = await deps.slack.users_lookupByEmail(email=who)
    except SlackApiError:
        return None
    return str(response["user"]["id"])


async def export_links(deps: Deps, out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    links = await deps.store.links(None)
    for link in links:
        cells = (
            link.user_id,
            link.provider,
            link.requester_id,
            link.source,
            link.created_by or "",
            f"{link.created_at:.0f}",
        )
        writer.writerow([safe_cell(cell) for cell in cells])
    return len(links)


async def team_id(deps: Deps) -> str:
    """The workspace the bot token belongs to (links are stored per workspace)."""
    return str((await deps.slack.auth_test())["team_id"])


async def run_links(deps: Deps, action: str, arg: str | None, out: TextIO = sys.stdout) -> int:
    """The ``links`` subcommands; returns the process exit code."""
    if action == "export":
        count = await export_links(deps, out)
        print(f"exported {count} links", file=sys.stderr)
        return 0
    team = await team_id(deps)
    if action == "forget":
        assert arg is not None
        removed = await deps.store.delete_links(
            team_id=team, user_id=arg, provider=None, actor=CLI_ACTOR
        )
        print(f"removed {removed} links of {arg}", file=out)
        return 0
    assert arg is not None
    text = await asyncio.to_thread(Path(arg).read_text, encoding="utf-8")
    report = await import_links(deps, team, io.StringIO(text, newline=""))
    print(f"imported {report.imported} links ({report.changed} changed)", file=out)
    for problem in report.problems:
        print(problem, file=out)
    return 1 if report.problems else 0
