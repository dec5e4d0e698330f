"""Tickets put straight into a store, as filing leaves them (a submission with its draft, then
the ticket): for tests of what reads them back (lists, search, previews)."""

from __future__ import annotations

import time

from bot.domain.drafts import Draft, ModalContext
from bot.domain.records import TicketRecord
from bot.domain.tickets import Filer, TicketRef
from bot.store import Store
from tests.fakes.slack_api import TEAM


async def seed_ticket(
    store: Store,
    number: str,
    *,
    subject: str = "Disk full",
    description: str = "",
    channel: str | None = "C0GENERAL",
    user: str = "UANA",
    provider: str = "hostup",
    team: str = TEAM,
    closed: bool = False,
) -> TicketRecord:
    draft = Draft(
        provider=provider,
        values={"subject": subject, "description": description},
        context=ModalContext(provider=provider, channel_id=channel),
        filer=Filer(team_id=team, user_id=user, name=user),
    )
    submission, _ = await store.submissions.begin_submission(
        key=f"seed|{provider}|{number}",
        team_id=team,
        user_id=user,
        provider=provider,
        channel_id=channel,
        thread_ts=None,
        draft=draft.model_dump_json(),
        first_attempt_by=time.time() + 60,
    )
    ref = TicketRef(
        provider=provider,
        id=f"id{number}",
        number=number,
        url=f"https://cloud.hostup.se/support/tickets/id{number}",
        status="open",
    )
    record = await store.tickets.record_ticket(
        submission=submission, ref=ref, subject=subject, priority="high"
    )
    if closed:
        await store.polls.update_polled(
            record.id,
            status="closed",
            closed=True,
            seen_messages=(),
            next_poll_at=0,
            done_at=time.time(),
        )
    return record
