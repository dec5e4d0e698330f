"""``/ticket list`` and ``/ticket find``: what the store finds on both backends, and what the
asker is shown through the real endpoint, page by page, within Block Kit's limits."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from bot.slack.views.ids import ActionId
from bot.store import Store
from bot.store.search import search_words
from bot.store.sqlite import SqliteDatabase
from tests.conftest import RunningBot
from tests.fakes.slack_api import BOT_USER, TEAM
from tests.slack_driver import EventsDriver
from tests.ticket_seeds import seed_ticket


async def test_search_ranks_by_the_words_on_both_backends(store_at: str) -> None:
    store = await Store.open(store_at)
    try:
        await seed_ticket(store, "1", subject="Network flapping", description="switch port 4")
        both = await seed_ticket(
            store, "2", subject="Disk full on db1", description="the disks of db1 filled up"
        )
        one = await seed_ticket(store, "3", subject="Backup late", description="disk is slow")
        await seed_ticket(store, "4", subject="Disk", description="", team="T0OTHER")
        found = await store.search.search_tickets(TEAM, search_words("disk db1"))
        assert [t.id for t in found] == [both.id, one.id]  # both words first; other team never
        # stemmed, any case
        assert await store.search.search_tickets(TEAM, search_words("DISKS")) != []
        assert await store.search.search_tickets(TEAM, search_words("printer")) == []
        # what a person types cannot reach either engine's query syntax
        for nasty in ('" OR 1', "db1) | !(x", "NEAR(a b)", "'; DROP TABLE tickets; --", "*"):
            await store.search.search_tickets(TEAM, search_words(nasty))
        paged = await store.search.search_tickets(TEAM, search_words("disk db1"), offset=1, limit=5)
        assert [t.id for t in paged] == [one.id]
        # retention (or forget) empties the draft: its description leaves the index too
        assert await store.search.search_tickets(TEAM, ["slow"]) == [one]
        await store.retention.prune(time.time() + 10**9)
        assert await store.search.search_tickets(TEAM, ["slow"]) == []
        assert [t.id for t in await store.search.search_tickets(TEAM, ["backup"])] == [one.id]
    finally:
        await store.close()


async def test_open_tickets_by_channel_person_and_provider(store_at: str) -> None:
    store = await Store.open(store_at)
    try:
        a = await seed_ticket(store, "1", channel="C1")
        b = await seed_ticket(store, "2", channel="C1", user="UBEN")
        await seed_ticket(store, "3", channel="C1", closed=True)
        c = await seed_ticket(store, "4", channel="C2", provider="pulse")
        assert [t.id for t in await store.search.open_tickets(TEAM, filed_from="C1")] == [
            b.id,
            a.id,
        ]
        assert [t.id for t in await store.search.open_tickets(TEAM, filed_by="UANA")] == [
            c.id,
            a.id,
        ]
        assert [t.id for t in await store.search.open_tickets(TEAM, provider="pulse")] == [c.id]
        assert [t.id for t in await store.search.open_tickets(TEAM, before_id=b.id)] == [a.id]
    finally:
        await store.close()


async def test_open_tickets_are_found_by_an_index_not_by_reading_the_team(
    tmp_path: Path,
) -> None:
    """The Add to a ticket picker and ``/ticket list`` read a channel's and a person's open
    tickets on every use, and a typed number is looked up on every submit: each by an index,
    never every ticket of the team (3.8 ms for 3,600 tickets before migration 13, growing
    with every ticket filed)."""
    path = tmp_path / "t.db"
    store = await Store.open(path)
    statements: list[str] = []
    try:
        await seed_ticket(store, "1", channel="C1")
        # NOTE: the statements as SQLite runs them (parameters bound), from its own trace
        assert isinstance(store.db, SqliteDatabase)
        await store.db._db.set_trace_callback(statements.append)
        await store.search.open_tickets(TEAM, filed_from="C1")
        await store.search.open_tickets(TEAM, filed_by="UANA")
        await store.search.open_tickets(TEAM, filed_from="C1", before_id=10)
        await store.tickets.tickets_by_number(TEAM, "1")  # a number typed (Add to a ticket)
    finally:
        await store.close()
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 4
    with sqlite3.connect(path) as db:
        for select in selects[:3]:
            plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {select}"))
            assert "TEMP B-TREE" not in plan, (select, plan)
            assert "tickets_channel" in plan or "tickets_filer" in plan, (select, plan)
        plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {selects[3]}"))
        assert "tickets_team_number (team_id=? AND number=?)" in plan, plan
        assert "tickets_team_ticket_id (team_id=? AND provider_ticket_id=?)" in plan, plan


async def test_tickets_filed_before_the_upgrade_are_searchable(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = await Store.open(path)
    await seed_ticket(store, "1", subject="Mail queue stuck", description="postfix deferred")
    await store.close()
    with sqlite3.connect(path) as db:  # as a version-9 database left it: no search index
        db.executescript(
            "DROP TRIGGER tickets_search; DROP TRIGGER submissions_search;"
            " DROP TABLE ticket_search; DROP TABLE ticket_threads;"
            " DROP TABLE poll_holds; DROP INDEX tickets_polls; DROP INDEX tickets_provider_seq;"
            " ALTER TABLE tickets DROP COLUMN poll_seq; DROP INDEX tickets_channel;"
            " DROP INDEX tickets_team_number; DROP INDEX tickets_team_ticket_id;"
            " PRAGMA user_version = 9;"
        )
    store = await Store.open(path)
    try:
        assert [t.number for t in await store.search.search_tickets(TEAM, ["postfix"])] == ["1"]
    finally:
        await store.close()


def _blocks_text(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def _next_value(message: dict[str, Any]) -> str | None:
    for block in message["blocks"]:
        if block["type"] == "actions":
            return str(block["elements"][0]["value"])
    return None


async def test_sixty_open_tickets_page_within_block_kits_limits(hostup_bot: RunningBot) -> None:
    bot, slack = hostup_bot, hostup_bot.slack
    for n in range(60):
        await seed_ticket(bot.deps.store, str(10_000 + n), subject=f"Alert number {n}")
    await seed_ticket(bot.deps.store, "9999", channel="C0OTHER")  # another channel's
    response = await bot.driver.command("list")
    assert response.status_code == 200
    seen: list[str] = []
    message = await slack.wait_for_response()
    for page in range(1, 8):
        assert len(message["blocks"]) <= 50  # and the fake checked every limit
        seen += [
            b["text"]["text"].split("#", 1)[1].split("|", 1)[0].split(">", 1)[0]
            for b in message["blocks"]
            if b["type"] == "section" and "#" in b["text"]["text"]
        ]
        value = _next_value(message)
        if value is None:
            break
        await EventsDriver(bot.driver).click(ActionId.LIST_PAGE, value)
        message = await slack.wait_for_response(page + 1)
        assert message.get("replace_original") is True
    assert page == 6
    assert seen == [str(10_000 + n) for n in reversed(range(60))]  # newest first, each once
    # somebody else cannot page through Ana's list with her button
    first_page = slack.responses[0]
    await bot.driver.command("list")
    await slack.wait_for_response(page + 1)  # her first page again, with its button
    await EventsDriver(bot.driver).click(
        ActionId.LIST_PAGE, _next_value(first_page) or "", user="UBEN"
    )
    refused = await slack.wait_for_response(page + 2)
    assert "could not be verified" in refused["text"] and "blocks" not in refused


async def test_find_shows_only_what_the_asker_may_see(hostup_bot: RunningBot) -> None:
    bot, slack = hostup_bot, hostup_bot.slack
    slack.add_user("UBEN", "ben", "Ben", "ben@example.com")
    slack.channels["C0GENERAL"].members.add("UBEN")
    slack.add_channel("C0SECRET", "secret", private=True, members={BOT_USER, "UANA"})
    await seed_ticket(bot.deps.store, "501", subject="Payroll export broken", channel="C0SECRET")
    await seed_ticket(bot.deps.store, "502", subject="Payroll page slow", channel="C0GENERAL")
    await bot.driver.command("find payroll", user="UBEN")
    shown = _blocks_text(await slack.wait_for_response())
    assert "#502" in shown and "#501" not in shown and "Payroll export" not in shown
    await bot.driver.command("find payroll export", user="UANA")  # a member (and admin)
    assert "#501" in _blocks_text(await slack.wait_for_response(2))
    # hidden and absent read the same: no way to learn that a ticket exists
    await bot.driver.command("find export", user="UBEN")
    hidden = await slack.wait_for_response(3)
    await bot.driver.command("find nosuchword", user="UBEN")
    absent = await slack.wait_for_response(4)
    assert hidden["blocks"][1:] == absent["blocks"][1:]
    # the channel's list in a private channel, for someone who is not in it: nothing
    await bot.driver.command("list", user="UBEN", channel="C0SECRET")
    assert "#501" not in _blocks_text(await slack.wait_for_response(5))
    slack.add_channel("C0OTHER", "other", members={BOT_USER, "UANA"})
    await bot.driver.command("list mine", user="UANA", channel="C0OTHER")
    mine = _blocks_text(await slack.wait_for_response(6))
    assert "#501" in mine and "#502" in mine


async def test_list_and_find_say_how_to_use_them(hostup_bot: RunningBot) -> None:
    bot, slack = hostup_bot, hostup_bot.slack
    await bot.driver.command("list yours")
    assert "/ticket list [mine] [provider]" in (await slack.wait_for_response())["text"]
    await bot.driver.command("find")
    assert "/ticket find <words>" in (await slack.wait_for_response(2))["text"]
    await bot.driver.command("help")
    help_text = (await slack.wait_for_response(3))["text"]
    assert "/ticket list" in help_text and "/ticket find" in help_text


async def test_no_list_in_a_channel_shared_with_another_organisation(
    hostup_bot: RunningBot,
) -> None:
    bot, slack = hostup_bot, hostup_bot.slack
    slack.add_channel("C0SHARED", "with-acme", members={BOT_USER, "UANA"}, ext_shared=True)
    await seed_ticket(bot.deps.store, "601", subject="Shared thing", channel="C0SHARED")
    await bot.driver.command("list", channel="C0SHARED")
    refused = await slack.wait_for_response()
    assert "shared with another organisation" in refused["text"] and "#601" not in str(refused)
    await bot.driver.command("find shared", channel="C0SHARED")
    assert "shared with another organisation" in (await slack.wait_for_response(2))["text"]
