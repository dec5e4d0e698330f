"""Store figures: requester look-up and ticket insert p99 with 100,000 tickets and 10,000 links."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bot.domain.records import Submission, SubmissionState
from bot.domain.tickets import TicketRef
from bot.store import Store
from bot.store.sqlite import SqliteDatabase


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def store_figures(
    tickets: int = 100_000, links: int = 10_000, samples: int = 2_000
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "bench.db")
        assert isinstance(store.db, SqliteDatabase)
        try:
            db = store.db._db  # bulk-load straight through SQL; the samples use the real methods
            now = time.time()
            await db.executemany(
                "INSERT INTO requester_links VALUES (?, ?, ?, ?, 'import', 'bench', ?)",
                [("T1", f"U{i:07d}", "billingserv", str(i), now) for i in range(links)],
            )
            await db.executemany(
                "INSERT INTO tickets (provider, provider_ticket_id, number, subject, team_id,"
                " filed_by, created_at, updated_at) VALUES ('hostup', ?, ?, 's', 'T1', 'U1', ?, ?)",
                [(f"tkt_{i}", str(i), now, now) for i in range(tickets)],
            )
            lookups = []
            for i in range(samples):
                started = time.perf_counter()
                await store.links.requester_link("T1", f"U{(i * 7919) % links:07d}", "billingserv")
                lookups.append(time.perf_counter() - started)
            inserts = []
            for i in range(samples):
                submission = Submission(
                    id=0,
                    key=f"k{i}",
                    team_id="T1",
                    user_id="U1",
                    provider="hostup",
                    channel_id="C1",
                    thread_ts=None,
                    draft="{}",
                    state=SubmissionState.FILING,
                    attempts=1,
                    last_error=None,
                    ticket_id=None,
                )
                ref = TicketRef(provider="hostup", id=f"new_{i}", number=str(tickets + i))
                started = time.perf_counter()
                await store.tickets.record_ticket(
                    submission=submission, ref=ref, subject="s", priority=None
                )
                inserts.append(time.perf_counter() - started)
        finally:
            await store.close()
    return {"lookup_p99_ms": p(lookups, 0.99) * 1000, "insert_p99_ms": p(inserts, 0.99) * 1000}
