"""Filing without the form: a reaction in a route with ``on_emoji = "file"``, and the Workflow
Builder step *File a ticket*. Both go the same way: a draft that passes the form's own checks
(``Drafting.without_form``), persisted under a key that files it once however often it comes
(``reaction|<channel>:<ts>``, ``step|<run>``), filed by the one filing service, which tells how
it went. What a person must add instead comes back as a reason for the listener to say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.domain.drafts import ModalContext, reaction_key, step_key
from bot.domain.errors import TicketbotError
from bot.domain.forms import FieldValue
from bot.domain.records import Submission, TicketRecord
from bot.domain.routes import OnEmoji, Routes
from bot.domain.tickets import Filer
from bot.tickets.drafting import Drafting, FilingAccess
from bot.tickets.filing import FilingService


class Directory(Protocol):
    """Who a Slack user is, as a filer (the Slack layer's user directory)."""

    async def filer(self, team_id: str, user_id: str, fallback_name: str) -> Filer: ...


@dataclass(frozen=True)
class Filing:
    """Filed through the filing service, which tells how it went (queued, filed, unsure)."""


@dataclass(frozen=True)
class InHand:
    """Saved under this key before: another delivery, or another person's reaction, files it,
    or its filing failed (``submission.state``, ``last_error``)."""

    submission: Submission


@dataclass(frozen=True)
class NotFiled:
    """Not filed: ``reason`` says what a person must add or fix (the form can still file it)."""

    reason: str


Filed = Filing | InHand | NotFiled


@dataclass(frozen=True)
class Reacted:
    """What a reaction came to: ``earlier``, a ticket filed before about the message that the
    reactor may see; ``duplicate`` if it stands for this message (filed from it, or for its
    alert and still open: nothing new is filed); ``filed``, how filing at once went, or None
    when the route does not file at once (the reactor is offered the form)."""

    earlier: TicketRecord | None = None
    duplicate: bool = False
    filed: Filed | None = None


@dataclass(frozen=True)
class StepRun:
    """One run of the Workflow Builder step, its inputs read; ``problem`` says plainly what
    is wrong with them, if anything is."""

    step: str  # the run's function_execution_id
    team_id: str
    provider: str
    channel_id: str
    filed_by: str
    values: Mapping[str, FieldValue]
    problem: str | None = None


class AutoFiling:
    """Files what a reaction or a workflow step gives, without the form."""

    def __init__(
        self,
        drafting: Drafting,
        filing: FilingService,
        access: FilingAccess,
        users: Directory,
        routes: Routes,
    ) -> None:
        self._drafting = drafting
        self._filing = filing
        self._access = access
        self._users = users
        self._routes = routes

    async def react(
        self, reactor: Filer, ctx: ModalContext, values: Mapping[str, FieldValue]
    ) -> Reacted:
        """A reaction on the message ``ctx`` describes (``values``: what it prefills): the
        ticket filed about it before, if the reactor may see it; else, in a file-at-once
        route, the ticket filed as the reactor."""
        earlier = await self._filing.earlier_ticket(
            reactor.team_id, ctx.channel_id, ctx.message_ts, ctx.fingerprint
        )
        if earlier is not None and not await self._access.may_read(
            reactor.user_id, filed_by=earlier.filed_by, filed_from=earlier.filed_from
        ):
            earlier = None
        if earlier is not None and earlier.is_open_duplicate(ctx.message_ts):
            return Reacted(earlier, duplicate=True)
        route = self._routes.of(ctx.channel_id)
        if route is None or route.on_emoji is not OnEmoji.FILE:
            return Reacted(earlier)
        key = reaction_key(ctx.channel_id or "", ctx.message_ts or "")
        return Reacted(earlier, filed=await self._file(key, route.provider, reactor, ctx, values))

    async def file_step(self, run: StepRun) -> Filed | None:
        """The step's ticket, filed as the person who runs the workflow; None for a run
        Slack delivered again (its first delivery answers it, whatever its outcome)."""
        if not run.step or not await self._filing.first_run(run.step):
            return None
        if run.problem:
            return NotFiled(run.problem)
        filer = await self._users.filer(run.team_id, run.filed_by, run.filed_by)
        ctx = ModalContext(provider=run.provider, channel_id=run.channel_id, step=run.step)
        try:
            await self._access.require_may_file(filer.user_id, run.channel_id)
        except TicketbotError as exc:
            return NotFiled(exc.message)
        return await self._file(step_key(run.step), run.provider, filer, ctx, run.values)

    async def _file(
        self,
        key: str,
        provider: str,
        filer: Filer,
        ctx: ModalContext,
        values: Mapping[str, FieldValue],
    ) -> Filed:
        try:
            draft = await self._drafting.without_form(
                self._filing.provider(provider), filer=filer, ctx=ctx, values=values
            )
        except TicketbotError as exc:  # CannotFileAsIs among them: what a person must add
            return NotFiled(exc.message)
        submission, new = await self._filing.submit(key, draft)
        if not new:
            return InHand(submission)
        try:
            await self._filing.file(submission, draft)
        except TicketbotError as exc:  # the submission is failed; the form can still file it
            return NotFiled(exc.message)
        return Filing()
