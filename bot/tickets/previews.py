"""Ticket links come alive: a link posted in Slack that matches a provider's ``ticket_url`` is
read back to the ticket the bot filed, for its preview (``link_shared`` → ``chat.unfurl``).

Who may see the preview is the Slack layer's to decide (``Access.everyone_may_read``); this
knows only links and tickets.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from bot.domain.records import TicketRecord
from bot.store.marks import MarkQueries
from bot.store.search import SearchQueries

MAX_URL = 2000  # a longer link is no ticket link of ours
PART = r"[^/?#&\s]+"  # one placeholder: a path segment or query value, URL-encoded


@dataclass(frozen=True)
class LinkPattern:
    provider: str
    regex: re.Pattern[str]


def link_patterns(templates: Mapping[str, str | None]) -> list[LinkPattern]:
    """A pattern per provider with a ``ticket_url``: ``{id}`` and ``{number}`` become named
    groups, the rest is literal; a query or fragment after it is allowed."""
    patterns = []
    for provider, template in templates.items():
        if not template:
            continue
        regex = ""
        for literal, field, _spec, _conv in string.Formatter().parse(template):
            regex += re.escape(literal)
            if field in ("id", "number") and f"(?P<{field}>" not in regex:
                regex += f"(?P<{field}>{PART})"
            elif field is not None:
                regex += PART
        patterns.append(LinkPattern(provider, re.compile(f"^{regex}/?(?:[?#].*)?$", re.I)))
    return patterns


def ticket_hosts(templates: Mapping[str, str | None]) -> list[str]:
    """The hosts of every ``ticket_url``, once each: the manifest's ``unfurl_domains``."""
    hosts: list[str] = []
    for template in templates.values():
        host = urlsplit(template).hostname if template else None
        if host and host.lower() not in hosts:
            hosts.append(host.lower())
    return hosts


class Previews:
    def __init__(
        self, search: SearchQueries, marks: MarkQueries, templates: Mapping[str, str | None]
    ) -> None:
        self._search = search
        self._marks = marks
        self._patterns = link_patterns(templates)

    async def first_delivery(self, event_id: str) -> bool:
        """False for an event Slack delivered before (a retry): its links were unfurled."""
        return await self._marks.remember_event(event_id)

    async def ticket_for(self, team_id: str, url: str) -> TicketRecord | None:
        """The ticket the bot filed that ``url`` links to, if any."""
        if len(url) > MAX_URL:
            return None
        for pattern in self._patterns:
            match = pattern.regex.match(url)
            if match is None:
                continue
            groups = match.groupdict()
            ticket_id, number = groups.get("id"), groups.get("number")
            found = await self._search.ticket_at(
                team_id,
                pattern.provider,
                ticket_id=unquote(ticket_id) if ticket_id else None,
                number=unquote(number) if number else None,
            )
            if found is not None:
                return found
        return None
