"""What the Slack layer works with: one frozen record the composition root (``bot/compose.py``)
builds and hands to the app factory, the server and every listener.

The services, the Slack-side helpers, the job owner and the options, and nothing more: no store
(the services keep it), no raw HTTP client (the adapters and ``SlackFiles`` hold it). The
providers are here for their titles and their forms as data; their calls go through services
(``tests/test_layout.py`` checks both).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.reader import AlertReader
from bot.background.jobs import Jobs
from bot.domain.routes import Routes
from bot.lane import Lane
from bot.metrics import Metrics
from bot.providers.base import Provider
from bot.redact import Redactor
from bot.settings import Options
from bot.slack.access import Access
from bot.slack.home import HomeTab
from bot.slack.modals import Modals
from bot.slack.outbound import ResponseUrls
from bot.slack.seal import Seal
from bot.slack.users import UserDirectory
from bot.tickets.additions import Additions
from bot.tickets.auto_filing import AutoFiling
from bot.tickets.drafting import Drafting
from bot.tickets.filing import FilingService
from bot.tickets.following import Following
from bot.tickets.lifecycle import AlertLifecycle
from bot.tickets.links import LinkService
from bot.tickets.listing import TicketLists
from bot.tickets.notices import AdminNotices
from bot.tickets.outgoing import Outgoing
from bot.tickets.previews import Previews
from bot.tickets.response_times import ResponseTimes


@dataclass(frozen=True)
class SlackContext:
    # the services
    filing: FilingService
    following: Following
    links: LinkService
    lists: TicketLists
    additions: Additions
    previews: Previews
    lifecycle: AlertLifecycle
    response_times: ResponseTimes
    outgoing: Outgoing
    notices: AdminNotices
    drafting: Drafting
    auto_filing: AutoFiling
    routes: Routes
    alerts: AlertReader
    providers: Mapping[str, Provider]
    # Slack's side
    slack: AsyncWebClient
    access: Access
    users: UserDirectory
    seal: Seal
    modals: Modals
    responses: ResponseUrls
    home_tab: HomeTab
    signing_secrets: tuple[str, ...]
    # running: the job owner, the lane the server marks each request in, what is measured
    jobs: Jobs
    lane: Lane
    metrics: Metrics
    redactor: Redactor
    database_ok: Callable[[], Awaitable[bool]]  # for /healthz
    options: Options
    clock: Callable[[], float] = time.time

    @property
    def provider_titles(self) -> dict[str, str]:
        return {name: provider.title for name, provider in self.providers.items()}
