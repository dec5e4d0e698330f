"""What a user's App Home shows, as data: their open tickets, whom they file as, each
provider's health and response times, and for admins what needs a person."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping

from bot.domain.drafts import Draft
from bot.domain.figures import ProviderFigures
from bot.domain.forms import CommonField
from bot.domain.home import Attention, FilesAs, HomeData, ProviderHealth, ProviderTrouble
from bot.domain.records import Submission
from bot.domain.tickets import Filer
from bot.providers.base import Provider
from bot.store.home import HomeQueries
from bot.store.links import LinkQueries
from bot.tickets.links import LinkService
from bot.tickets.response_times import ResponseTimes

OPEN_SHOWN = 20
SEEN_TTL = 300.0  # seconds a "has this user opened their home?" answer is kept
SEEN_KEPT = 10_000
FIGURES_FRESH = 60.0  # seconds a team's 30-day response-time figures are shown again


class HomeService:
    def __init__(
        self,
        home: HomeQueries,
        link_queries: LinkQueries,
        providers: Mapping[str, Provider],
        links: LinkService,
        response_times: ResponseTimes,
        clock: Callable[[], float],
    ) -> None:
        self._home = home
        self._link_queries = link_queries
        self._providers = providers
        self._links = links
        self._times = response_times
        self._clock = clock
        self._seen: dict[tuple[str, str], tuple[float, bool]] = {}  # user → (until, opened)
        # team → (computed at, the figures by provider): one computation shared by every
        # home opened meanwhile (it reads every ticket of the last 30 days)
        self._figures: dict[str, tuple[float, asyncio.Future[dict[str, ProviderFigures]]]] = {}

    @property
    def database_errors(self) -> tuple[type[BaseException], ...]:
        """What the database raises: a home not refreshed for it is no failure."""
        return self._home.errors

    async def opened(self, filer: Filer, *, is_admin: bool) -> HomeData:
        """The home of ``filer``, who opened it now (so it is refreshed when it changes)."""
        await self._home.home_opened(filer.team_id, filer.user_id, self._clock())
        self._remember((filer.team_id, filer.user_id), True)
        return await self.data(filer, is_admin=is_admin)

    async def wants_refresh(self, team_id: str, user_id: str) -> bool:
        """Whether the user has opened their home (so a change is worth publishing); asked
        of the database at most once per ``SEEN_TTL`` per user and process (a filing must
        not pay a read for everyone who never looks at it)."""
        key = (team_id, user_id)
        now = time.monotonic()
        known = self._seen.get(key)
        if known is not None and known[0] > now:
            return known[1]
        found = await self._home.has_home(team_id, user_id)
        self._remember(key, found)
        return found

    def _remember(self, key: tuple[str, str], opened: bool) -> None:
        if len(self._seen) > SEEN_KEPT:
            self._seen.clear()
        self._seen[key] = (time.monotonic() + SEEN_TTL, opened)

    async def data(self, filer: Filer, *, is_admin: bool) -> HomeData:
        # NOTE: no provider call: who they are at a provider is found when they first file
        rows = await self._links.whoami(filer, lookup=False)
        files_as = [FilesAs(title, found, must_link) for title, found, must_link in rows]
        trouble = await self._home.provider_trouble(filer.team_id)
        figures = await self._team_figures(filer.team_id)
        health = [
            ProviderHealth(
                name=name,
                title=provider.title,
                trouble=_seen_by(trouble.get(name, ProviderTrouble()), is_admin),
                # NOTE: why a feature is off (a path, an HTTP status) is for admins
                features_off={
                    f: why if is_admin else "" for f, why in provider.features_off.items()
                },
                figures=figures[name],
            )
            for name, provider in self._providers.items()
        ]
        data = HomeData(
            filer=filer,
            now=self._clock(),
            tickets=await self._home.open_tickets_of(filer.team_id, filer.user_id, OPEN_SHOWN),
            titles={name: p.title for name, p in self._providers.items()},
            files_as=files_as,
            providers=health,
            checking=tuple(
                Attention(submission=s, title=self._title(s.provider), subject=_subject(s))
                for s in await self._home.being_checked_of(filer.team_id, filer.user_id)
            ),
        )
        if not is_admin:
            return data
        attention = [
            Attention(submission=s, title=self._title(s.provider), subject=_subject(s))
            for s in await self._home.needs_attention(filer.team_id)
        ]
        changes = tuple(await self._link_queries.link_changes(filer.team_id, limit=5))
        return dataclasses.replace(data, is_admin=True, attention=attention, link_changes=changes)

    async def _team_figures(self, team_id: str) -> dict[str, ProviderFigures]:
        """The response-time figures, computed at most once a minute per team: a figure over
        30 days moves little in a minute, and each computation reads all of their tickets
        (500 homes opened at once, with 3,000 tickets filed, took 30 s without it)."""
        now = self._clock()
        kept = self._figures.get(team_id)
        if (
            kept is None
            or now - kept[0] >= FIGURES_FRESH
            or (kept[1].done() and kept[1].exception() is not None)
        ):
            kept = (now, asyncio.ensure_future(self._compute_figures(team_id)))
            self._figures[team_id] = kept
        return await asyncio.shield(kept[1])

    async def _compute_figures(self, team_id: str) -> dict[str, ProviderFigures]:
        return {f.provider: f for f in await self._times.figures(team_id)}

    def _title(self, name: str) -> str:
        provider = self._providers.get(name)
        return provider.title if provider else name


def _seen_by(trouble: ProviderTrouble, is_admin: bool) -> ProviderTrouble:
    """A provider's trouble as the viewer may see it: its latest error (which may quote a
    provider's answer about someone else's ticket) is for admins only."""
    return trouble if is_admin else ProviderTrouble(retrying=trouble.retrying)


def _subject(submission: Submission) -> str:
    try:
        value = Draft.model_validate_json(submission.draft).values.get(CommonField.SUBJECT, "")
    except ValueError:
        return ""
    return value if isinstance(value, str) else ", ".join(value)
