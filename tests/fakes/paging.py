"""Ticket lists as a provider may page them: a switch every listing fake shares.

No provider's doc in ../shared/providers/ spells out its list's paging (HostUp's summary says
"cursor paging, limit 1-100"), so each fake can answer in each common convention, newest
first, and the adapters must cope with all of them:

- ``cursor``: ``{key: [...], "nextCursor": "…" | null}``, ``cursor=`` sent back;
- ``pages``: ``page``/size with ``pagination: {page, totalPages, hasMore, nextPage}``;
- ``offset``: ``offset``/size with ``{offset, limit, total, hasMore}``;
- ``link``: a bare JSON list and a ``Link`` header (``rel="next"``/``rel="last"``, RFC 8288);
- ``next_url``: ``{count, next: url | null, previous, results}`` (Django REST framework);
- ``laravel``: ``{data, current_page, last_page, next_page_url, per_page, total}``;
- ``plain``: ``page``/size honoured, nothing said about paging;
- ``total``: everything at once with ``total`` beside it;
- ``stuck``: paging it cannot follow: what is sent back is ignored, ``hasMore`` stays true;
- ``foreign``: a next link to another host (a token must not follow it).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

CONVENTIONS = (
    "cursor",
    "pages",
    "offset",
    "link",
    "next_url",
    "laravel",
    "plain",
    "total",
    "stuck",
    "foreign",
)
SIZE_PARAMS = ("limit", "pageSize", "per_page", "page_size")
MAX_SIZE = 100


def _int(request: web.Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, default))
    except ValueError:
        return default


def paged(request: web.Request, items: list[Any], convention: str, key: str) -> web.Response:
    """One page of ``items`` (newest first) in ``convention``, the list under ``key``."""
    size = next((_int(request, p, 20) for p in SIZE_PARAMS if p in request.query), 20)
    size = max(1, min(size, MAX_SIZE))
    if convention == "total":
        return web.json_response({key: items, "total": len(items)})
    if convention == "cursor":
        start = _int(request, "cursor", 0)
        more = start + size < len(items)
        body = {key: items[start : start + size], "nextCursor": str(start + size) if more else None}
        return web.json_response(body)
    if convention == "offset":
        start = _int(request, "offset", 0)
        return web.json_response(
            {
                key: items[start : start + size],
                "offset": start,
                "limit": size,
                "total": len(items),
                "hasMore": start + size < len(items),
            }
        )
    page = 1 if convention == "stuck" else max(1, _int(request, "page", 1))
    chunk = items[(page - 1) * size : page * size]
    pages = max(1, -(-len(items) // size))
    more = page < pages
    url = request.url

    def at(n: int) -> str:
        return str(url.update_query({"page": str(n)}))

    if convention in ("pages", "stuck"):
        pagination: dict[str, Any] = {"hasMore": True}  # "stuck": more, always page 1
        if convention == "pages":
            pagination = {
                "page": page,
                "totalPages": pages,
                "hasMore": more,
                "nextPage": page + 1 if more else None,
            }
        return web.json_response({key: chunk, "pagination": pagination})
    if convention == "link":
        links = [f'<{at(pages)}>; rel="last"', f'<{at(1)}>; rel="first"']
        if more:
            links.insert(0, f'<{at(page + 1)}>; rel="next"')
        return web.json_response(chunk, headers={"Link": ", ".join(links)})
    if convention in ("next_url", "foreign"):
        nxt = at(page + 1) if more else None
        if convention == "foreign" and nxt:
            nxt = str(url.with_host("elsewhere.example").update_query({"page": str(page + 1)}))
        prev = at(page - 1) if page > 1 else None
        return web.json_response(
            {"count": len(items), "next": nxt, "previous": prev, "results": chunk}
        )
    if convention == "laravel":
        return web.json_response(
            {
                "data": chunk,
                "current_page": page,
                "last_page": pages,
                "next_page_url": at(page + 1) if more else None,
                "per_page": size,
                "total": len(items),
            }
        )
    if convention == "plain":
        return web.json_response({key: chunk})
    raise ValueError(f"no paging convention {convention!r}")
