"""Reading a provider's ticket list page after page, whatever paging its answers carry.

No provider documents its list's paging in what we have (docs/providers.md says what each
adapter assumes), so the reader follows what an answer says, in this order:

- an HTTP ``Link`` header with ``rel="next"`` (RFC 8288; GitHub's style); one without it,
  but with ``prev``/``first``/``last``, marks the last page;
- a next link in the body: ``next``, ``next_page_url`` (Laravel), ``links.next`` (JSON:API),
  ``_links.next.href`` (HAL), also inside ``pagination``/``meta``/``paging``;
- a cursor: ``nextCursor``/``next_cursor``/``nextPageToken``/``endCursor``, sent back as
  ``cursor`` (``pageToken`` for a page token);
- page or offset numbers: ``hasMore``/``has_more``/``hasNextPage``, ``nextPage``,
  ``totalPages``/``last_page``, ``total``/``totalCount`` beside ``page`` or ``offset``;
- nothing at all: plain ``page``+size, the next page number sent until a page is empty or
  shorter than one already read.

Each page says whether it is the last (the answer marked it so) and how to ask for the next;
``next`` is None on a page that is not the last when the answer cannot be followed (a link to
another host, a ``hasMore`` with nothing to send back, a page equal to the one before it: the
provider ignored what we sent). The twin search (``bot.providers.twins``) decides what that
proves; this module only reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from bot.domain.errors import Signal

ITEM_KEYS = ("tickets", "items", "data", "results", "records")
WRAPPERS = (
    "pagination",
    "paging",
    "meta",
    "page_info",
    "pageInfo",
    "links",
    "_links",
    "response_metadata",
)
NEXT_LINKS = ("next", "nextpageurl", "nextlink", "nexturl")
CURSORS = {"nextcursor": "cursor", "nextpagetoken": "pageToken", "endcursor": "cursor"}
# NOTE: a cursor field present but empty (Slack's "next_cursor": "") marks the last page
MORE = ("hasmore", "hasnextpage", "hasnext", "more")
PAGE_COUNTS = ("totalpages", "lastpage", "pagecount", "pages")
ITEM_COUNTS = ("total", "totalcount", "totalitems", "totalresults")
CURRENT_PAGE = ("page", "currentpage", "pagenumber")
LINK_RELS = ("prev", "previous", "first", "last")


@dataclass(frozen=True)
class ListQuery:
    """The first request of a list read, and the parameter names plain paging uses."""

    url: str
    params: dict[str, Any]
    page_param: str = "page"
    size_param: str = "limit"
    size: int = 100


@dataclass(frozen=True)
class PageRequest:
    """One page to ask for: ``url`` with ``params`` (None when ``url`` carries its query)."""

    url: str
    params: dict[str, Any] | None


@dataclass(frozen=True)
class ListPage:
    """What one answer held and said: its items; ``last`` when it marked itself the last
    page; ``next``, the request for the following page, None when it cannot be followed."""

    items: list[Any]
    last: bool
    next: PageRequest | None


class UnreadableList(Signal):
    """The answer holds no list of items the reader can find."""


FetchPage = Callable[[PageRequest], Awaitable[tuple[httpx.Response, Any]]]


@dataclass
class _Reading:
    query: ListQuery
    page: int = 1
    offset: int = 0
    read: int = 0
    largest: int = 0
    previous: list[Any] = field(default_factory=list)


def items_of(data: Any) -> list[Any]:
    """The items of a list answer: the body itself, or the first list under a usual key."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ITEM_KEYS:
            if isinstance(data.get(key), list):
                return list(data[key])
            if isinstance(data.get(key), dict):  # e.g. {"data": {"tickets": [...]}}
                inner = data[key]
                for inner_key in ITEM_KEYS:
                    if isinstance(inner.get(inner_key), list):
                        return list(inner[inner_key])
    raise UnreadableList("no list of tickets in the answer")


async def read_pages(fetch: FetchPage, query: ListQuery) -> AsyncIterator[ListPage]:
    """Pages of the list ``query`` starts, each with what its answer said about the next."""
    first = {query.page_param: 1, query.size_param: query.size, **query.params}
    reading = _Reading(query=query)
    request: PageRequest | None = PageRequest(query.url, first)
    while request is not None:
        response, data = await fetch(request)
        items = items_of(data)
        page = _next(reading, request, response, data, items)
        if items and items == reading.previous:  # NOTE: what we sent back was ignored
            page = replace(page, last=False, next=None)
        reading.previous = items
        reading.read += len(items)
        reading.largest = max(reading.largest, len(items))
        yield page
        request = None if page.last else page.next


def _next(
    reading: _Reading,
    request: PageRequest,
    response: httpx.Response,
    data: Any,
    items: list[Any],
) -> ListPage:
    """What the answer to ``request`` says about the page after it."""
    if (linked := _link_header(response)) is not None:
        if not linked:
            return ListPage(items, last=True, next=None)
        return _follow_url(items, request, linked)
    hints = _hints(data)
    more = next((hints[k] for k in MORE if isinstance(hints.get(k), bool)), None)
    if more is False:
        return ListPage(items, last=True, next=None)
    for key in NEXT_LINKS:
        if key in hints:
            value = hints[key]
            if isinstance(value, dict):
                value = value.get("href")
            if isinstance(value, str) and value and not _digits(value):
                if value.startswith(("http://", "https://", "/", "?")):
                    return _follow_url(items, request, value)
                return _with(reading, items, {"cursor": value})  # a token under "next"
            if _number(value):
                return _page(reading, items, int(value))
            if not value and more is None:
                return ListPage(items, last=True, next=None)
    for key, param in CURSORS.items():
        if key in hints:
            value = hints[key]
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
                return _with(reading, items, {param: value})
            if more is None:
                return ListPage(items, last=True, next=None)
            return ListPage(items, last=False, next=None)  # more, but no cursor to send
    if "nextpage" in hints:
        value = hints["nextpage"]
        if _number(value):
            return _page(reading, items, int(value))
        if value is None and more is None:
            return ListPage(items, last=True, next=None)
    offset = hints.get("offset", hints.get("skip"))
    if isinstance(offset, int) and not isinstance(offset, bool):
        reading.offset = offset
    current = next((hints[k] for k in CURRENT_PAGE if _number(hints.get(k))), reading.page)
    pages = next((hints[k] for k in PAGE_COUNTS if _number(hints.get(k))), None)
    total = next((hints[k] for k in ITEM_COUNTS if _number(hints.get(k))), None)
    if pages is not None and int(current) >= int(pages):
        return ListPage(items, last=True, next=None)
    if total is not None and reading.read + len(items) >= int(total):
        return ListPage(items, last=True, next=None)
    if "offset" in hints or "skip" in hints:
        param = "offset" if "offset" in hints else "skip"
        return _with(reading, items, {param: reading.offset + len(items)})
    says_nothing = more is None and pages is None and total is None
    if says_nothing and (not items or len(items) < reading.largest):
        # NOTE: plain page numbers: an empty page, or one shorter than a page already read
        # (the provider's page size, whatever size we asked for), is the last
        return ListPage(items, last=True, next=None)
    return _page(reading, items, int(current) + 1)


def _page(reading: _Reading, items: list[Any], number: int) -> ListPage:
    reading.page = number
    return _with(reading, items, {reading.query.page_param: number})


def _with(reading: _Reading, items: list[Any], changes: dict[str, Any]) -> ListPage:
    query = reading.query
    params = {query.page_param: reading.page, query.size_param: query.size, **query.params}
    if query.page_param not in changes:  # a cursor or an offset replaces the page number
        params.pop(query.page_param, None)
    return ListPage(items, last=False, next=PageRequest(query.url, {**params, **changes}))


def _follow_url(items: list[Any], request: PageRequest, link: str) -> ListPage:
    """The page a next link names, if it is on the host the list came from."""
    base = httpx.URL(request.url)
    target = base.join(link)
    if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
        return ListPage(items, last=False, next=None)  # NOTE: our token goes only to our host
    return ListPage(items, last=False, next=PageRequest(str(target), None))


def _link_header(response: httpx.Response) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header; "" when the header marks the last page;
    None when there is no paging ``Link`` header."""
    if "link" not in response.headers:
        return None
    links = response.links
    nxt = links.get("next", {}).get("url")
    if nxt:
        return str(nxt)
    return "" if any(rel in links for rel in LINK_RELS) else None


def _hints(data: Any) -> dict[str, Any]:
    """The answer's fields by normalised name (lower case, no ``_``), the top level first,
    then the usual paging wrappers."""
    found: dict[str, Any] = {}
    if not isinstance(data, dict):
        return found
    scopes = [data, *(data[k] for k in WRAPPERS if isinstance(data.get(k), dict))]
    for scope in scopes:
        for key, value in scope.items():
            if isinstance(key, str) and key not in ITEM_KEYS:
                found.setdefault(key.lower().replace("_", ""), value)
    return found


def _digits(value: Any) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit()


def _number(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or _digits(value)
