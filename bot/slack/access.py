"""Who is an admin, who may file where, and who may read a ticket: from config, with Slack
user groups and channel members resolved (cached, and failing closed)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import NotAllowed
from bot.domain.records import TicketRecord
from bot.settings import Options

log = logging.getLogger(__name__)
GROUP_TTL_SECONDS = 300.0
LOOKUP_SECONDS = 1.0
MEMBERS_SECONDS = 5.0  # reading a large channel's members takes a page per 1,000


class Access:
    def __init__(self, options: Options, slack: AsyncWebClient) -> None:
        self._options = options
        self._slack = slack
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self._channels: dict[str, tuple[float, frozenset[str]]] = {}

    async def _members(self, group_id: str) -> frozenset[str]:
        hit = self._groups.get(group_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        try:
            # NOTE: asked on the ack path: Slack must be answered within 3 s even if this hangs.
            response = await asyncio.wait_for(
                self._slack.usergroups_users_list(usergroup=group_id), LOOKUP_SECONDS
            )
            members = frozenset(str(u) for u in response.get("users") or ())
        except (SlackApiError, TimeoutError) as exc:
            # NOTE: fail closed: an unreadable group grants nothing (needs usergroups:read).
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else "timeout"
            log.warning("cannot read user group", extra={"group": group_id, "error": error})
            return frozenset()
        self._groups[group_id] = (time.monotonic() + GROUP_TTL_SECONDS, members)
        return members

    async def _channel_members(self, channel_id: str) -> frozenset[str]:
        hit = self._channels.get(channel_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        members: set[str] = set()
        try:
            async with asyncio.timeout(MEMBERS_SECONDS):
                cursor = None
                while True:
                    response = await self._slack.conversations_members(
                        channel=channel_id, limit=1000, cursor=cursor
                    )
                    members.update(str(u) for u in response.get("members") or ())
                    cursor = (response.get("response_metadata") or {}).get("next_cursor")
                    if not cursor:
                        break
        except (SlackApiError, TimeoutError) as exc:
            # NOTE: fail closed: a channel the bot cannot read shows its tickets to nobody
            # but their filers and admins (needs channels:read / groups:read).
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else "timeout"
            log.warning(
                "cannot read channel members", extra={"channel": channel_id, "error": error}
            )
            return frozenset()
        found = frozenset(members)
        self._channels[channel_id] = (time.monotonic() + GROUP_TTL_SECONDS, found)
        return found

    async def may_read(self, user_id: str, *, filed_by: str, filed_from: str | None) -> bool:
        """A ticket is shown to its filer, to admins, and to members of the channel it was
        filed from (a ticket filed from a DM, to its filer and admins only)."""
        if user_id == filed_by or await self.is_admin(user_id):
            return True
        if not filed_from or filed_from[:1] not in ("C", "G"):
            return False
        return user_id in await self._channel_members(filed_from)

    def reader(self, user_id: str) -> Callable[[TicketRecord], Awaitable[bool]]:
        """``may_read`` for ``user_id``, as the services ask it: ticket in, yes or no out."""

        async def may_read(record: TicketRecord) -> bool:
            return await self.may_read(
                user_id, filed_by=record.filed_by, filed_from=record.filed_from
            )

        return may_read

    async def everyone_may_read(self, channel_id: str, record: TicketRecord) -> bool:
        """Whether every member of ``channel_id`` may read the ticket (its unfurl would show it
        to all of them): the channel it was filed from, or one whose members all may.

        NOTE: fails closed: a DM, an unreadable channel, one shared with another organisation
        (unless ``tickets_in_shared_channels``) shows nothing."""
        if channel_id[:1] not in ("C", "G") or await self.shared_outside(channel_id):
            return False
        if channel_id == record.filed_from:
            return True
        members = await self._channel_members(channel_id)
        if not members:
            return False
        # NOTE: ``may_read``'s rule as sets, so a large channel costs no call per member
        readers = {record.filed_by, *self._options.admins}
        if self._options.admin_group:
            readers |= await self._members(self._options.admin_group)
        if record.filed_from and record.filed_from[:1] in ("C", "G"):
            readers |= await self._channel_members(record.filed_from)
        return members <= readers

    async def shared_outside(self, channel_id: str) -> bool:
        """Whether tickets must not be shown in ``channel_id``: a channel shared with another
        organisation (Slack Connect), unless ``tickets_in_shared_channels``; fails closed (a
        channel that cannot be read counts as shared)."""
        if self._options.tickets_in_shared_channels or channel_id[:1] not in ("C", "G"):
            return False
        try:
            response = await asyncio.wait_for(
                self._slack.conversations_info(channel=channel_id), LOOKUP_SECONDS
            )
        except (SlackApiError, TimeoutError) as exc:
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else "timeout"
            log.warning("cannot read channel", extra={"channel": channel_id, "error": error})
            return True
        # NOTE: is_ext_shared: Slack Connect, shared with another organisation
        return bool((response.get("channel") or {}).get("is_ext_shared"))

    async def is_admin(self, user_id: str) -> bool:
        if user_id in self._options.admins:
            return True
        group = self._options.admin_group
        return group is not None and user_id in await self._members(group)

    def admins_text(self) -> str:
        """Who the admins are, as mentions (shown only in ephemeral or private text)."""
        names = [f"<@{u}>" for u in self._options.admins]
        if self._options.admin_group:
            names.append(f"<!subteam^{self._options.admin_group}>")
        return ", ".join(names) or "none are configured"

    async def require_admin(self, user_id: str, doing: str) -> None:
        if not await self.is_admin(user_id):
            raise NotAllowed(f"Only ticketbot admins can {doing}; admins: {self.admins_text()}.")

    async def require_may_file(self, user_id: str, channel_id: str | None) -> None:
        """Raise ``NotAllowed`` unless config lets this user file from this channel."""
        opts = self._options
        if await self.is_admin(user_id):
            return
        if opts.allowed_channels and channel_id not in opts.allowed_channels:
            where = ", ".join(f"<#{c}>" for c in opts.allowed_channels)
            raise NotAllowed(f"Tickets can be filed only from {where}.")
        if opts.allowed_groups:
            for group in opts.allowed_groups:
                if user_id in await self._members(group):
                    return
            groups = ", ".join(f"<!subteam^{g}>" for g in opts.allowed_groups)
            raise NotAllowed(
                f"Only members of {groups} can file tickets; ask an admin "
                f"({self.admins_text()}) to add you."
            )
