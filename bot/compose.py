"""The composition root: everything built once per process from the settings, bottom up, each
piece handed its collaborators in its constructor (nothing is connected afterwards), and closed
on exit. Imported by the CLI and the tests only; the Slack layer gets its ``SlackContext``.

The order (docs/architecture.md, "Wiring"): the store, the lane and the job owner, the metrics;
the Slack client and the admin channel's notices; the providers (told of a missing feature
through those notices); the Slack-side helpers; the services the announcer needs (comments,
links, response times, the App Home); the announcer; the retry worker's wake-up; the cards
service; the filing service; the rest of the services; and last the Slack context. The retry
worker and the status poller are the running's (``bot.runtime``), built per run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import httpx
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot import __version__
from bot.alerts.custom import build as build_source
from bot.alerts.reader import AlertReader
from bot.background.jobs import Jobs, log_failure
from bot.domain.routes import Routes
from bot.lane import GivingWayTransport, Lane, waiting
from bot.metrics import MeteredTransport, Metrics
from bot.providers.base import Provider
from bot.providers.registry import build_provider
from bot.redact import Redactor
from bot.safe_http import tls_context
from bot.settings import Settings
from bot.slack.access import Access
from bot.slack.admin_channel import AdminChannel
from bot.slack.alert_thread import AlertThread
from bot.slack.announce import Announcer
from bot.slack.context import SlackContext
from bot.slack.details import SlackDetails
from bot.slack.edits import PacedEdits
from bot.slack.files import SlackFiles
from bot.slack.home import HomeTab
from bot.slack.modals import Modals
from bot.slack.outbound import ResponseUrls, SlackOrigins, redacting, slack_only
from bot.slack.seal import Seal
from bot.slack.users import UserDirectory
from bot.store import Store
from bot.tickets.additions import Additions
from bot.tickets.auto_filing import AutoFiling
from bot.tickets.cards import Cards
from bot.tickets.comments import ProviderComments
from bot.tickets.drafting import Drafting
from bot.tickets.filing import FilingService, RetryPolicy
from bot.tickets.following import Following
from bot.tickets.home import HomeService
from bot.tickets.lifecycle import AlertLifecycle
from bot.tickets.links import LinkService
from bot.tickets.listing import TicketLists
from bot.tickets.notices import AdminNotices
from bot.tickets.outgoing import Outgoing
from bot.tickets.previews import Previews
from bot.tickets.response_times import ResponseTimes

SLACK_API_URL = "https://slack.com/api/"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bot:
    """What the root built: the CLI, the background life (``bot.runtime``) and the tests hold
    it; the Slack layer sees only ``context``."""

    settings: Settings
    store: Store
    http: httpx.AsyncClient
    slack: AsyncWebClient
    providers: Mapping[str, Provider]
    redactor: Redactor
    metrics: Metrics
    lane: Lane
    jobs: Jobs
    wakeup: asyncio.Event
    filing: FilingService
    cards: Cards
    comments: ProviderComments
    access: Access
    responses: ResponseUrls
    following: Following
    response_times: ResponseTimes
    context: SlackContext
    clock: Callable[[], float] = time.time


def slack_client(
    settings: Settings, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    base_url = settings.env.slack_api_url or SLACK_API_URL
    # NOTE: slack_sdk retries only connection errors unless told; 429s wait for Retry-After.
    # Without a shared session it opens a new aiohttp session (and connection) per call.
    return AsyncWebClient(
        token=settings.env.slack_bot_token.get_secret_value(),
        base_url=base_url.rstrip("/") + "/",
        session=session,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )


async def slack_io(
    request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    """A deferred job gives its lane slot back during a Slack Web API call, and gives way to
    Slack's requests after it (see ``bot.lane``); a modal's job keeps its slot."""
    async with waiting(deferred_only=True):
        return await handler(request)


def provider_client(settings: Settings, metrics: Metrics) -> httpx.AsyncClient:
    """The one HTTP client the provider adapters share: metered, and giving way (``bot.lane``)."""
    # NOTE: each provider caps its own requests in flight; the pool holds them all, and keeps
    # them alive (closing and reopening connections under load cost more CPU than the calls).
    connections = sum(cfg.max_connections for cfg in settings.providers.values()) + 10
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        transport=GivingWayTransport(
            MeteredTransport(
                httpx.AsyncHTTPTransport(verify=tls_context(), limits=limits),
                metrics,
                {name: cfg.url for name, cfg in settings.providers.items()},
            )
        ),
        headers={"User-Agent": f"ticketbot/{__version__}"},
        follow_redirects=False,
    )


@asynccontextmanager
async def compose(
    settings: Settings,
    policy: RetryPolicy | None = None,
    *,
    exclusive: bool = False,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[Bot]:
    """Build the bot; on exit, close the job owner, the HTTP clients and the store.

    ``exclusive``: this process runs the bot, which must be the only one on its SQLite file.
    ``clock``: the time the alert lifecycle and response times go by (tests move it).
    """
    options = settings.options
    store = await Store.open(settings.env.ticketbot_db, exclusive=exclusive)
    lane = Lane(options.background_slots)

    def job_failed(exc: BaseException) -> None:
        if not store.unavailable(exc):  # NOTE: an outage is told once, by the store
            log_failure(exc)

    jobs = Jobs(lane, job_failed)
    metrics = Metrics()
    metrics.watch_database(store.outage)
    redactor = Redactor.of(settings)
    origins = SlackOrigins(settings.env.slack_api_url)
    slack_session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=100),
        middlewares=(slack_io, slack_only(origins), metrics.slack_call, redacting(redactor)),
    )
    slack = slack_client(settings, slack_session)
    admins = AdminChannel(slack, options.admin_channel) if options.admin_channel else None
    notices = AdminNotices(store.marks, admins)

    def feature_off(title: str, feature: str, why: str) -> None:
        # NOTE: admins hear once of each optional feature a provider turns out not to have
        jobs.spawn(notices.feature_off(title, feature, why))

    http = provider_client(settings, metrics)
    providers = {
        name: build_provider(cfg, http, feature_off) for name, cfg in settings.providers.items()
    }
    seal = Seal(settings.env.signing_secrets())
    modals = Modals(seal, store.modals)
    responses = ResponseUrls(slack_session, origins)
    access = Access(options, slack)
    users = UserDirectory(slack, guests_by_email=options.link_guests_by_email)
    default = options.disclosure
    outgoing = Outgoing(
        {name: cfg.disclosure(default) for name, cfg in settings.providers.items()},
        default,
        metrics.redacted,
    )
    slack_files = SlackFiles(
        slack,
        http,
        settings.env.slack_bot_token,
        int(options.max_attachment_mb * 1_048_576),
        origins,
    )
    edits = PacedEdits(slack, jobs.spawn)  # NOTE: one pace for every edit of the bot's messages
    metrics.watch_edits(lambda: edits.pending)
    alert_thread = AlertThread(slack, edits)
    comments = ProviderComments(
        store.comments, store.tickets, providers, clock, outgoing=outgoing, tells=alert_thread
    )
    links = LinkService(store.links, providers, access)
    routes = Routes(settings.routes)
    drafting = Drafting(
        providers,
        access,
        links,
        routes,
        outgoing,
        send_as_typed=options.send_as_typed == "admins",
    )
    lists = TicketLists(store.search)
    response_times = ResponseTimes(
        store.responses,
        providers,
        {name: cfg.first_response_minutes for name, cfg in settings.providers.items()},
        clock,
        alert_thread,
    )
    home = HomeService(store.home, store.links, providers, links, response_times, clock)
    home_tab = HomeTab(slack, users, access, home, seal)
    announcer = Announcer(slack, edits, responses, modals, seal, providers, access, home_tab)
    wakeup = asyncio.Event()  # NOTE: the retry worker's: the services that schedule set it
    policy = policy or RetryPolicy(window=options.retry_window_minutes * 60)
    cards = Cards(store.cards, announcer, notices, wakeup, metrics, first_retry=policy.base_delay)
    filing = FilingService(
        store.submissions,
        store.tickets,
        store.polls,
        store.marks,
        store.links,
        providers,
        policy,
        cards,
        wakeup,
        files=slack_files,
        outgoing=outgoing,
        enrich=SlackDetails(users, slack),
    )
    following = Following(
        store.polls,
        store.threads,
        store.tickets,
        store.marks,
        providers,
        {name: cfg.poll_seconds for name, cfg in settings.providers.items()},
        announcer,
        clock=clock,
        outgoing=outgoing,
        max_connections={name: cfg.max_connections for name, cfg in settings.providers.items()},
    )
    lifecycle = AlertLifecycle(store.alerts, store.marks, providers, comments, clock, alert_thread)
    context = SlackContext(
        filing=filing,
        following=following,
        links=links,
        lists=lists,
        additions=Additions(
            store.tickets, store.threads, providers, comments, lists, slack_files, clock, outgoing
        ),
        previews=Previews(
            store.search, store.marks, {n: c.ticket_url for n, c in settings.providers.items()}
        ),
        lifecycle=lifecycle,
        response_times=response_times,
        outgoing=outgoing,
        notices=notices,
        drafting=drafting,
        auto_filing=AutoFiling(drafting, filing, access, users, routes),
        routes=routes,
        alerts=AlertReader(tuple(build_source(s) for s in settings.alert_sources)),
        providers=providers,
        slack=slack,
        access=access,
        users=users,
        seal=seal,
        modals=modals,
        responses=responses,
        home_tab=home_tab,
        signing_secrets=settings.env.signing_secrets(),
        jobs=jobs,
        lane=lane,
        metrics=metrics,
        redactor=redactor,
        database_ok=store.healthy,
        options=options,
        clock=clock,
    )
    bot = Bot(
        settings=settings,
        store=store,
        http=http,
        slack=slack,
        providers=providers,
        redactor=redactor,
        metrics=metrics,
        lane=lane,
        jobs=jobs,
        wakeup=wakeup,
        filing=filing,
        cards=cards,
        comments=comments,
        access=access,
        responses=responses,
        following=following,
        response_times=response_times,
        context=context,
        clock=clock,
    )
    try:
        yield bot
    finally:
        await jobs.close()
        await slack_session.close()
        await http.aclose()
        await store.close()
