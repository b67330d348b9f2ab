"""The JSON API: the pages' data in the CLI's JSON shapes (pressmon.report), with OpenAPI.

Reads need only what every request needs (web/access.py). Writes (accept or
dismiss a flag) need `Authorization: Bearer TOKEN` or an `X-Pressmon-Client`
header: a browser cannot add either to a cross-site request, so a page on
another site cannot review flags on a user's behalf.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from figures.records import current_record, history_record
from store import Store
from store import queries as q
from store.kinds import ReviewDecision
from store.paging import SearchOrder
from store.records import article_record, flag_record
from web import queries as wq
from web.access import Access
from web.cursors import history_cursor, page_cursor

router = APIRouter(prefix="/api")
Record = Mapping[str, Any]  # the JSON shapes of store.records and figures.records


class Review(BaseModel):
    """Why and by whom a flag is accepted or dismissed (kept in its audit trail)."""

    note: str | None = Field(None, description="Why, for the audit trail.")
    by: str = Field("web", description="Who reviews.")


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


@router.get("/articles", tags=["articles"])
def list_articles(
    request: Request,
    response: Response,
    q_: Annotated[str | None, Query(alias="q", description="Full-text query (en or zh).")] = None,
    since: Annotated[date | None, Query(description="Published on or after.")] = None,
    until: Annotated[date | None, Query(description="Published on or before.")] = None,
    lang: Annotated[Literal["en", "zh"] | None, Query(description="Language.")] = None,
    source: Annotated[str | None, Query(description="Source name.")] = None,
    cluster: Annotated[int | None, Query(description="Syndication cluster id.")] = None,
    order: Annotated[
        SearchOrder,
        Query(
            description="With q: `newest` (every match, newest first) or `relevance` "
            f"(the newest {q.RELEVANCE_CANDIDATES} matches, best first)."
        ),
    ] = "newest",
    after: Annotated[
        str | None, Query(description="Cursor from the previous page's `Link: rel=next`.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[Record]:
    """A page of articles, newest first; with `q`, each with a `snippet`, newest or best match
    first (`order`). A next page is announced in the `Link` header (`rel="next"`)."""
    wanted = wq.ArticleFilter(
        q_, since, until, source, lang, cluster, limit, order, page_cursor(after)
    )
    store = _store(request)
    with store.session() as s:
        page = wq.find_articles(s, store.search_index, wanted)
        records: list[Record] = [
            article_record(a) | ({"snippet": snippet} if snippet is not None else {})
            for a, snippet in page.items
        ]
    if page.next is not None:
        following = request.url.include_query_params(after=str(page.next))
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return records


@router.get("/articles/{article_id}", tags=["articles"])
def get_article(request: Request, article_id: int) -> Record:
    """One article with its current text and every version."""
    with _store(request).session() as s:
        article = q.get_article(s, article_id)
        if article is None:
            raise HTTPException(404, f"no article with id {article_id}")
        return article_record(article, with_text=True)


@router.get("/flags", tags=["flags"])
def list_flags(
    request: Request,
    response: Response,
    state: Literal["open", "accepted", "dismissed"] | None = None,
    kind: Literal["new", "changed", "conflict", "outdated"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Flags per page.")] = 100,
    after: Annotated[
        str | None, Query(description="The cursor of the next page, from `X-Next-Cursor`.")
    ] = None,
) -> list[Record]:
    """A page of figure flags: changed first, then conflict, outdated and new, the largest
    change first within a kind. When more follow, the `X-Next-Cursor` header holds the
    cursor to pass as `after`, and `Link` (rel="next") the URL of the next page."""
    try:
        cursor = wq.parse_cursor(after)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    with _store(request).session() as s:
        flags, following = q.flag_queue(s, state=state, kind=kind, after=cursor, limit=limit)
        records: list[Record] = [flag_record(f) for f in flags]
    if following is not None:
        token = wq.cursor_text(following)
        url = request.url.include_query_params(after=token)
        response.headers["X-Next-Cursor"] = token
        response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
    return records


@router.get("/flags/{flag_id}", tags=["flags"])
def get_flag(request: Request, flag_id: int) -> Record:
    """One flag with its audit trail (`reviews`, oldest first)."""
    with _store(request).session() as s:
        flag = q.get_flag(s, flag_id)
        if flag is None:
            raise HTTPException(404, f"no flag with id {flag_id}")
        trail = [wq.review_record(r) for r in wq.reviews_of_flag(s, flag_id)]
        return flag_record(flag) | {"reviews": trail}


def _review(
    request: Request,
    flag_id: int,
    state: ReviewDecision,
    review: Review | None,
    authorization: str | None,
    client: str | None,
) -> Record:
    access: Access = request.app.state.access
    if not access.api_write_ok(authorization, client):
        raise HTTPException(
            403, "send Authorization: Bearer TOKEN or an X-Pressmon-Client header to change flags"
        )
    review = review or Review()
    with _store(request).session() as s:
        flag = q.get_flag(s, flag_id)
        if flag is None:
            raise HTTPException(404, f"no flag with id {flag_id}")
        wq.review(s, request.app.state.ledger, flag, state, review.by, review.note)
        return flag_record(flag)


ClientHeader = Annotated[
    str | None,
    Header(alias="X-Pressmon-Client", description="Any value; proves a non-browser client."),
]


@router.post("/flags/{flag_id}/accept", tags=["flags"])
def accept_flag(
    request: Request,
    flag_id: int,
    review: Annotated[Review | None, Body()] = None,
    authorization: Annotated[str | None, Header()] = None,
    client: ClientHeader = None,
) -> Record:
    """Accept a flag: a changed value becomes the record's current value."""
    return _review(request, flag_id, "accepted", review, authorization, client)


@router.post("/flags/{flag_id}/dismiss", tags=["flags"])
def dismiss_flag(
    request: Request,
    flag_id: int,
    review: Annotated[Review | None, Body()] = None,
    authorization: Annotated[str | None, Header()] = None,
    client: ClientHeader = None,
) -> Record:
    """Dismiss a flag: its figure leaves the record and the previous value stands again."""
    return _review(request, flag_id, "dismissed", review, authorization, client)


@router.get("/figures", tags=["figures"])
def current_figures(request: Request, subject: str | None = None) -> list[Record]:
    """The standing value of every series of the subject (default: the watched organisation)."""
    with _store(request).session() as s:
        return [
            current_record(key, row)
            for key, row in request.app.state.ledger.standing(
                s, subject or request.app.state.watched
            )
        ]


@router.get("/figures/{metric}", tags=["figures"])
def metric_history(
    request: Request,
    response: Response,
    metric: str,
    subject: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Statements per page.")] = (
        q.HISTORY_PAGE
    ),
    after: Annotated[
        str | None, Query(description="Cursor from the previous page's `Link: rel=next`.")
    ] = None,
) -> list[Record]:
    """A page of the statements of one metric, oldest first, with their sources and flags.
    When more follow, `Link` (rel="next") holds the next page's URL and `X-Next-Cursor` its
    cursor to pass as `after`.

    A metric no stored figure states (a typo, say) is a 404, not an empty history."""
    cursor = history_cursor(after)
    with _store(request).session() as s:
        page = q.metric_history(
            s, subject or request.app.state.watched, metric, after=cursor, limit=limit
        )
        if not page.items and cursor is None and not q.metric_is_stated(s, metric):
            raise HTTPException(404, f"no figures of metric {metric!r} are stored")
        flags = q.flags_by_mention(s, [r.id for r in page.items])
        records: list[Record] = [history_record(r, flags[r.id]) for r in page.items]
    if page.next is not None:
        token = str(page.next)
        following = request.url.include_query_params(after=token)
        response.headers["X-Next-Cursor"] = token
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return records


@router.get("/digests", tags=["digests"])
def list_digests(request: Request) -> list[Record]:
    """Past digests, newest first, without their content."""
    with _store(request).session() as s:
        return [
            {k: v for k, v in wq.digest_record(d).items() if k != "content"}
            for d in wq.list_digests(s)
        ]


@router.get("/digests/latest", tags=["digests"])
def latest_digest(request: Request) -> Record:
    """The newest digest with its content ({"period","flags","articles","revised"})."""
    with _store(request).session() as s:
        digest = wq.latest_digest(s)
        if digest is None:
            raise HTTPException(404, "no digest has been made yet")
        return wq.digest_record(digest)


@router.get("/digests/{digest_id}", tags=["digests"])
def get_digest(request: Request, digest_id: int) -> Record:
    """One digest with its content."""
    with _store(request).session() as s:
        digest = wq.get_digest(s, digest_id)
        if digest is None:
            raise HTTPException(404, f"no digest with id {digest_id}")
        return wq.digest_record(digest)
