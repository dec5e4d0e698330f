"""Open tickets the poller follows, put at once into a provider's fake and into the store (as
filing and the card leave them): for the poller's tests and ``bench.poller_scale``."""

from __future__ import annotations

import time
from typing import Any

from bot.domain.tickets import TicketRef
from bot.store import Store
from tests.fakes.server import FakeServer

# what each fake's status read answers for an open ticket (the record starts with the same, so
# a read finds nothing to announce)
OPEN = {"hostup": "open", "billingserv": "open", "pulse": "open", "ispcrm": "Open"}
BILLINGSERV_CUSTOMER = 42


def provider_ticket(kind: str, n: int) -> tuple[Any, dict[str, Any], str, str]:
    """Ticket ``n`` as ``kind``'s fake keeps it: (key, ticket, id, number)."""
    status = OPEN[kind]
    if kind == "hostup":
        ticket_id = f"tkt_{n:026d}"
        return (
            ticket_id,
            {
                "id": ticket_id,
                "number": str(n),
                "subject": f"followed {n}",
                "status": status,
                "createdAt": "2026-01-01T00:00:00.000Z",
                "messages": [],
                "attachments": [],
            },
            ticket_id,
            str(n),
        )
    if kind == "billingserv":
        return (
            n,
            {
                "id": n,
                "subject": f"followed {n}",
                "user_id": BILLINGSERV_CUSTOMER,
                "status": status,
                "priority": "low",
                "messages": [],
            },
            str(n),
            str(n),
        )
    if kind == "pulse":
        return (
            n,
            {
                "id": n,
                "ticketNumber": f"TKT-{n}",
                "subject": f"followed {n}",
                "status": status,
            },
            str(n),
            f"TKT-{n}",
        )
    if kind == "ispcrm":
        return (
            n,
            {
                "ticket_id": n,
                "subject": f"followed {n}",
                "status": status,
                "priority": 1,
                "created_at": "2026-01-01",
                "updated_at": "2026-01-01",
            },
            str(n),
            str(n),
        )
    raise ValueError(f"no status reads at {kind}")


def put_at_fake(fake: FakeServer, kind: str, numbers: range) -> None:
    """Tickets ``numbers`` at ``kind``'s fake, open."""
    tickets: dict[Any, Any] = fake.tickets  # type: ignore[attr-defined]
    for n in numbers:
        key, ticket, _, _ = provider_ticket(kind, n)
        tickets[key] = ticket


async def record_followed(
    store: Store, kind: str, numbers: range, name: str | None = None
) -> list[int]:
    """Tickets ``numbers`` of ``kind`` in the store under provider ``name`` (default ``kind``),
    each with its card posted, never read yet; their record ids."""
    name = name or kind
    ids = []
    for n in numbers:
        _, _, ticket_id, number = provider_ticket(kind, n)
        submission, _ = await store.submissions.begin_submission(
            key=f"followed|{name}|{n}",
            team_id="T0001",
            user_id="UANA",
            provider=name,
            channel_id="C0GENERAL",
            thread_ts=None,
            draft="{}",
            first_attempt_by=time.time() + 60,
        )
        record = await store.tickets.record_ticket(
            submission=submission,
            ref=TicketRef(provider=name, id=ticket_id, number=number, status=OPEN[kind]),
            subject=f"followed {n}",
            priority=None,
        )
        card = f"1700000000.{n:06d}"
        await store.cards.set_card(record.id, channel_id="C0GENERAL", card_ts=card, thread_ts=card)
        ids.append(record.id)
    return ids


async def seed_followed(
    store: Store, fake: FakeServer, kind: str, numbers: range, name: str | None = None
) -> list[int]:
    """Tickets ``numbers`` at ``kind``'s fake and in the store (``record_followed``)."""
    put_at_fake(fake, kind, numbers)
    return await record_followed(store, kind, numbers, name)
