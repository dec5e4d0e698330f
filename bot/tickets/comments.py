"""Comments the bot adds to provider tickets by itself (an alert fired again, resolved): kept
before the provider is called, retried when time can fix it, never sent twice.

A comment whose request left without an answer we can trust (a timeout, a gateway's 502) is
not sent again: a second copy on the provider's ticket is worse than a missing line, and the
thread already says what happened.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping

from bot.domain.errors import TicketbotError, Transient
from bot.domain.records import Comment, CommentState, TicketRecord
from bot.providers.base import Provider, SupportsReply, takes_replies
from bot.store.comments import CommentQueries
from bot.store.tickets import TicketQueries
from bot.tickets.outcomes import TellsAlerts
from bot.tickets.outgoing import Outgoing

log = logging.getLogger(__name__)
WINDOW_SECONDS = 6 * 3600.0  # a comment is tried for this long…
MAX_DELAY = 600.0  # …at most this far apart


class ProviderComments:
    def __init__(
        self,
        comments: CommentQueries,
        tickets: TicketQueries,
        providers: Mapping[str, Provider],
        clock: Callable[[], float],
        *,
        outgoing: Outgoing | None = None,
        tells: TellsAlerts | None = None,
        base_delay: float = 5.0,
    ) -> None:
        self._outgoing = outgoing or Outgoing({})
        self._tells = tells
        self._comments = comments
        self._tickets = tickets
        self._providers = providers
        self._clock = clock
        self._base_delay = base_delay

    async def add(self, ticket: TicketRecord, key: str, body: str) -> bool:
        """Keep ``body`` for ``ticket`` under ``key`` and send it now; False if the provider
        takes no comments, or ``key`` was kept already (sent once, by whoever kept it)."""
        if not takes_replies(self._providers.get(ticket.provider)):
            return False
        comment = await self._comments.add_comment(key, ticket.id, body, self._clock())
        if comment is None:
            return False
        await self._send(comment, ticket)
        return True

    async def add_now(
        self, ticket: TicketRecord, key: str, body: str
    ) -> tuple[CommentState, str | None] | None:
        """``add`` for a person waiting on the answer: how the first attempt ended (and the
        provider's words if it refused); None if ``key`` was kept already. The provider must
        take comments (``takes_replies``)."""
        comment = await self._comments.add_comment(key, ticket.id, body, self._clock())
        if comment is None:
            return None
        return await self._send(comment, ticket)

    async def send_due(self) -> int:
        """Send the comments whose retry is due (claimed, so one process sends each); how many
        were tried. The claim is a write: ask ``next_due_in`` first."""
        due = await self._comments.due_comments(self._clock())
        for comment in due:
            ticket = await self._tickets.ticket(comment.ticket_id)
            if ticket is None:
                await self._comments.comment_done(comment.id, CommentState.GAVE_UP, "no ticket")
                continue
            await self._send(comment, ticket)
        return len(due)

    async def next_due_in(self) -> float | None:
        """Seconds until the next kept comment is due, if any is."""
        at = await self._comments.next_comment_due()
        return None if at is None else at - self._clock()

    async def _send(
        self, comment: Comment, ticket: TicketRecord
    ) -> tuple[CommentState, str | None]:
        """Try once; how it ended, and why where it did not reach the provider."""
        provider = self._providers.get(ticket.provider)
        if not isinstance(provider, SupportsReply):
            await self._comments.comment_done(comment.id, CommentState.GAVE_UP, "takes no comments")
            return CommentState.GAVE_UP, "takes no comments"
        # NOTE: the one check before a comment leaves (bot.tickets.outgoing)
        body, redacted = await self._outgoing.text(provider.name, comment.body)
        try:
            await provider.reply(ticket.ref, body)
        except Transient as exc:
            now = self._clock()
            if exc.maybe_created:
                await self._comments.comment_done(comment.id, CommentState.UNSURE, exc.message)
                log.warning(
                    "comment sent without a trustworthy answer; not sent again",
                    extra={"provider": ticket.provider, "ticket": ticket.number},
                )
                return CommentState.UNSURE, exc.message
            wait = exc.retry_after or min(
                MAX_DELAY, self._base_delay * 2.0 ** (comment.attempts - 1)
            ) * random.uniform(1.0, 1.5)  # noqa: S311 (jitter, not crypto)
            if now + wait > comment.created_at + WINDOW_SECONDS:
                await self._comments.comment_done(comment.id, CommentState.GAVE_UP, exc.message)
                log.warning("gave up on a comment", extra={"provider": ticket.provider})
                return CommentState.GAVE_UP, exc.message
            await self._comments.comment_later(comment.id, now + wait, exc.message)
            return CommentState.RETRYING, exc.message
        except TicketbotError as exc:
            await self._comments.comment_done(comment.id, CommentState.GAVE_UP, exc.message)
            log.warning("provider refused a comment: %s", exc, extra={"provider": ticket.provider})
            return CommentState.GAVE_UP, exc.message
        await self._comments.comment_done(comment.id, CommentState.SENT)
        self._outgoing.sent(provider.name, redacted)
        if redacted and self._tells is not None:
            await self._tells.redacted(ticket, provider.title, redacted)
        return CommentState.SENT, None
