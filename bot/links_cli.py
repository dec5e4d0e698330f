"""``ticketbot links import FILE | export | forget USER``: bulk set-up and offboarding.

Exit codes: 0 done; 1 done, but some rows were refused (each named by line); 2 a usage or
file problem (nothing done); 3 Slack could not be reached (nothing done; try again).
``export`` and ``forget <user id>`` need no Slack; e-mails and ``import`` do.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.compose import Bot
from bot.domain.errors import TicketbotError
from bot.domain.records import LinkRow
from bot.store.retention import Forgotten

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")
CLI_ACTOR = "ticketbot links (CLI)"
# NOTE: ``team`` last, so a hand-written file of the first three columns still imports
HEADER = ["slack_user", "provider", "requester_id", "source", "created_by", "created_at", "team"]
TEAM_COLUMN = HEADER.index("team")
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


EXIT_ROWS, EXIT_USAGE, EXIT_SLACK = 1, 2, 3


def forgotten_text(who: str, done: Forgotten) -> str:
    """What ``links forget`` removed, and what it left because it is still in use."""
    text = (
        f"forgot {who}: {done.links} links, {done.audit_rows} audit rows, {done.drafts} drafts, "
        f"{done.tickets} closed tickets' filer"
    )
    if done.left_unfinished or done.left_open_tickets:
        text += (
            f"; left until finished: {done.left_unfinished} submissions in flight, "
            f"{done.left_open_tickets} open tickets (run forget again once they are done)"
        )
    return text


class LinksFailure(TicketbotError):
    """The command could not run: one line for the operator, and its exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ImportReport:
    imported: int
    changed: int
    problems: list[str]
    warnings: list[str] = field(default_factory=list)


async def import_links(bot: Bot, team_id: str, lines: Iterable[str]) -> ImportReport:
    """Check every row, then write the good ones in one transaction; bad rows by line number.

    A row's ``team`` cell (an export's last column) puts it into that workspace; rows without
    one go into ``team_id`` (the bot token's)."""
    rows: dict[tuple[str, str, str], tuple[int, LinkRow]] = {}  # (team, user, provider) → …
    problems: list[str] = []
    warnings: list[str] = []
    by_lower = {name.lower(): name for name in bot.providers}
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
        team = cells[TEAM_COLUMN] if len(cells) > TEAM_COLUMN and cells[TEAM_COLUMN] else team_id
        if not TEAM_ID.match(team):
            problems.append(f"line {number}: {team!r} is not a Slack workspace id (T…)")
            continue
        if team != team_id and not USER_ID.match(who):
            problems.append(
                f"line {number}: an e-mail can be looked up only in this bot's workspace "
                f"({team_id}); give {team}'s user by id"
            )
            continue
        provider = by_lower.get(provider_name.lower())
        if provider is None:
            problems.append(f"line {number}: no provider called {provider_name!r}")
            continue
        if problem := bot.providers[provider].requester_id_problem(requester_id):
            problems.append(f"line {number}: {problem}")
            continue
        user_id = await _user_id(bot, who)
        if user_id is None:
            problems.append(f"line {number}: no Slack user {who!r}")
            continue
        if (earlier := rows.get((team, user_id, provider))) is not None:
            warnings.append(
                f"line {number}: repeats line {earlier[0]} ({user_id}, {provider}); "
                "the later row is used"
            )
        rows[(team, user_id, provider)] = (number, LinkRow(user_id, provider, requester_id, team))
    stored = [row for _, row in rows.values()]
    changed = await bot.store.links.import_links(
        team_id=team_id, rows=stored, source="import", actor=CLI_ACTOR
    )
    return ImportReport(len(stored), changed, problems, warnings)


async def _user_id(bot: Bot, who: str) -> str | None:
    """A Slack user id as given, or the user an e-mail belongs to (asks Slack)."""
    if USER_ID.match(who):
        return who
    if "@" not in who:
        return None
    try:
        response = await bot.slack.users_lookupByEmail(email=who)
    except SlackApiError as exc:
        if exc.response.get("error") == "users_not_found":
            return None
        raise
    return str(response["user"]["id"])


async def export_links(bot: Bot, out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    links = await bot.store.links.links(None)
    for link in links:
        cells = (
            link.user_id,
            link.provider,
            link.requester_id,
            link.source,
            link.created_by or "",
            f"{link.created_at:.0f}",
            link.team_id,
        )
        writer.writerow([safe_cell(cell) for cell in cells])
    return len(links)


async def team_id(bot: Bot) -> str:
    """The workspace the bot token belongs to (links are stored per workspace)."""
    return str((await bot.slack.auth_test())["team_id"])


async def run_links(bot: Bot, action: str, arg: str | None, out: TextIO = sys.stdout) -> int:
    """The ``links`` subcommands; returns the process exit code (see the module), or raises
    ``LinksFailure`` with one line to print."""
    try:
        return await _run_links(bot, action, arg, out)
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        raise LinksFailure(
            f"links {action}: Slack could not be reached ({error}); nothing was changed, try again",
            EXIT_SLACK,
        ) from None


async def _run_links(bot: Bot, action: str, arg: str | None, out: TextIO) -> int:
    if action == "export":
        count = await export_links(bot, out)
        print(f"exported {count} links", file=sys.stderr)
        return 0
    assert arg is not None
    if action == "forget":
        user_id = await _user_id(bot, arg)
        if user_id is None:
            raise LinksFailure(f"links forget: no Slack user {arg!r}", EXIT_USAGE)
        teams = await bot.store.retention.teams_knowing(user_id)
        for team in teams:
            print(
                forgotten_text(arg, await bot.store.retention.forget_user(team, user_id)), file=out
            )
        if not teams:
            print(f"nothing is kept about {arg}", file=out)
        return 0
    try:
        text = await asyncio.to_thread(Path(arg).read_text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = "does not exist" if isinstance(exc, FileNotFoundError) else type(exc).__name__
        raise LinksFailure(f"links import: {arg} {why}", EXIT_USAGE) from None
    report = await import_links(bot, await team_id(bot), io.StringIO(text, newline=""))
    print(f"imported {report.imported} links ({report.changed} changed)", file=out)
    for line in (*report.warnings, *report.problems):
        print(line, file=out)
    return EXIT_ROWS if report.problems else 0
