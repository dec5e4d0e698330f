"""A bare poller, the reference for ``bench.poller_scale``'s CPU per poll: the same status reads
at the same fakes with none of the bot (no claims, no lane, no adapters, no announcing).

``python -m bench.bare_poller PLAN_JSON``: every ``tick`` seconds it reads the tickets whose
slot came (the same slots as the bot's, one interval apart), all at once: one ``httpx`` GET and
its JSON each (ISPCRM: one read of the list for the tickets of that tick), then one asyncpg
UPDATE per ticket like the bot's ``update_polled`` (on a copy of the table, so the bot's
schedule is left alone). It runs ``seconds``, then prints the reads it made and exits.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import asyncpg
import httpx

from bot.tickets.poll_slots import next_slot
from tests.fakes import billingserv, hostup, ispcrm, pulse

TICK = 0.2
UPDATE = (
    "UPDATE bare_polls SET status = $1, seen_messages = $2, next_poll_at = $3, updated_at = $4"
    " WHERE id = $5"
)


async def headers(client: httpx.AsyncClient, kind: str, url: str) -> dict[str, str]:
    """What each fake wants on a read (Pulse: a token from its login first)."""
    accept = {"Accept": "application/json"}
    if kind == "hostup":
        return {**accept, "Authorization": f"Bearer {hostup.API_KEY}"}
    if kind == "billingserv":
        return {**accept, "Authorization": f"Bearer {billingserv.API_KEY}"}
    if kind == "ispcrm":
        return {**accept, "Authorization": f"Bearer {ispcrm.STATIC_TOKEN}"}
    login = await client.post(
        f"{url}/auth/login", json={"apiKey": pulse.API_KEY, "apiSecret": pulse.API_SECRET}
    )
    return {**accept, "Authorization": f"Bearer {login.json()['token']}", "x-account-id": "2311"}


def read_url(kind: str, url: str, ticket_id: str) -> str:
    return {
        "hostup": f"{url}/api/v2/support/tickets/{ticket_id}",
        "billingserv": f"{url}/api/v2/ticket/get?id={ticket_id}",
        "pulse": f"{url}/tickets/{ticket_id}",
        "ispcrm": f"{url}/api/v1/subscriber/getCustomerTickets",
    }[kind]


def slot_of(row: asyncpg.Record, interval: float, now: float) -> float:
    return next_slot(row.get("poll_seq") or row["id"], interval, now)


async def main(plan: dict[str, Any]) -> None:
    pool = await asyncpg.create_pool(plan["db"], min_size=2, max_size=10)
    await pool.execute("DROP TABLE IF EXISTS bare_polls")
    await pool.execute(
        "CREATE TABLE bare_polls AS SELECT id, status, seen_messages, next_poll_at, updated_at"
        " FROM tickets"
    )
    await pool.execute("ALTER TABLE bare_polls ADD PRIMARY KEY (id)")
    interval = plan["interval"]
    # (slot, provider kind, record id, the provider's ticket id), as the bot's: by poll_seq
    rows = await pool.fetch("SELECT * FROM tickets")  # NOTE: poll_seq only from schema 12
    now = time.time()
    due = sorted(
        (slot_of(r, interval, now), r["provider"], r["id"], r["provider_ticket_id"]) for r in rows
    )
    reads = 0
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        auth = {kind: await headers(client, kind, url) for kind, url in plan["urls"].items()}

        async def read(kind: str, record_ids: list[int], ticket_id: str) -> None:
            url = read_url(kind, plan["urls"][kind], ticket_id)
            body = (await client.get(url, headers=auth[kind])).json()
            data = body.get("ticket") or body.get("data") or body
            status = str(data.get("status") if isinstance(data, dict) else "Open")
            for record_id in record_ids:
                async with pool.acquire() as connection:
                    at = time.time()
                    await connection.execute(UPDATE, status, "[]", at + interval, at, record_id)

        cpu = time.process_time()
        end = time.time() + plan["seconds"]
        while (now := time.time()) < end:
            batch = []
            while due and due[0][0] <= now:
                batch.append(due.pop(0))
            lists = [b[2] for b in batch if b[1] == "ispcrm"]
            work = [read(kind, [rid], tid) for _, kind, rid, tid in batch if kind != "ispcrm"]
            if lists:
                work.append(read("ispcrm", lists, "*"))
            await asyncio.gather(*work)
            reads += len(batch)
            for slot, kind, rid, tid in batch:
                due.append((slot + interval, kind, rid, tid))
            due.sort()
            await asyncio.sleep(TICK)
        cpu = time.process_time() - cpu
    await pool.execute("DROP TABLE bare_polls")
    await pool.close()
    print(json.dumps({"reads": reads, "cpu_s": cpu}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
