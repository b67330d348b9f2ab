"""The HTML pages: digests, articles (search, filters, versions, diffs), figures, flag review.

Each route opens one session on the app's Store, builds records with the same
functions the CLI's JSON uses (store.records, figures.records), and renders a
template that escapes everything. The one state-changing form (review a flag) is a POST
checked against the session's CSRF token.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from figures.model import FLAG_KINDS
from figures.records import current_record, history_record
from store import Store
from store import queries as q
from store.kinds import ReviewDecision
from store.paging import SEARCH_ORDERS
from store.records import article_record, flag_record, number
from web import queries as wq
from web.access import AUTH_COOKIE, SESSION_COOKIE, Access
from web.chart import series_chart
from web.cursors import history_cursor, page_cursor
from web.diff import diff_rows
from web.templating import render

router = APIRouter(include_in_schema=False)
LANGUAGES = ("en", "zh")
PAGE_SIZE = 50
HISTORY_PAGE = 50  # statements listed under a metric's chart
FLAG_STATES = ("open", "accepted", "dismissed")


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{name} {value!r}: expected a date like 2024-07-19") from None


def _int(value: str | None, name: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise HTTPException(400, f"{name} {value!r}: expected a number") from None


def _local(path: str | None, default: str = "/") -> str:
    """A redirect target on this site only (no //host or scheme)."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return default


def local_redirect(target: str | None, default: str = "/") -> RedirectResponse:
    """A 303 to `target` when it is a path on this site, else to `default`."""
    return RedirectResponse(_local(target, default), status_code=303)


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _digest_sources(session: Session, record: dict[str, Any] | None) -> dict[str, Any]:
    """The stored articles a digest's flags cite, by URL (a digest stores URLs only)."""
    content = (record or {}).get("content")
    flags = content.get("flags") if isinstance(content, dict) else None
    if not isinstance(flags, list):
        return {}
    urls = [f.get(k) for f in flags if isinstance(f, dict) for k in ("url", "previous_url")]
    return wq.article_sources(session, urls)


# -- digests ---------------------------------------------------------------------------------
@router.get("/")
def latest_digest_page(request: Request) -> Response:
    with _store(request).session() as s:
        digest = wq.latest_digest(s)
        record = wq.digest_record(digest) if digest else None
        sources = _digest_sources(s, record)
    return render(request, "digest.html", digest=record, latest=True, sources=sources)


@router.get("/digests")
def digests_page(request: Request) -> Response:
    with _store(request).session() as s:
        records = [wq.digest_record(d) for d in wq.list_digests(s)]
    return render(request, "digests.html", digests=records)


@router.get("/digests/{digest_id}")
def digest_page(request: Request, digest_id: int) -> Response:
    with _store(request).session() as s:
        digest = wq.get_digest(s, digest_id)
        if digest is None:
            raise HTTPException(404, f"no digest with id {digest_id}")
        record = wq.digest_record(digest)
        sources = _digest_sources(s, record)
    return render(request, "digest.html", digest=record, latest=False, sources=sources)


# -- articles --------------------------------------------------------------------------------
@router.get("/articles")
def articles_page(
    request: Request,
    text: Annotated[str | None, Query(alias="q")] = None,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    lang: str | None = None,
    cluster: str | None = None,
    order: str | None = None,
    after: str | None = None,
) -> Response:
    query = text or None
    wanted = wq.ArticleFilter(
        q=query,
        since=_date(since, "since"),
        until=_date(until, "until"),
        source=source or None,
        language=lang if lang in LANGUAGES else None,
        cluster=_int(cluster, "cluster"),
        limit=PAGE_SIZE,
        order="relevance" if order == "relevance" else "newest",
        after=page_cursor(after),
    )
    store = _store(request)
    with store.session() as s:
        page = wq.find_articles(s, store.search_index, wanted)
        rows = [(article_record(a) | {"cluster": a.cluster_id}, snip) for a, snip in page.items]
        total = wq.count_articles(s, store.search_index, wanted)
        sources = wq.source_names(s)
    following = request.url.include_query_params(after=str(page.next)) if page.next else None
    first = request.url.remove_query_params("after")
    return render(
        request,
        "articles.html",
        rows=rows,
        total=total,
        capped=total > wq.COUNT_CAP,
        next_url=f"{following.path}?{following.query}" if following else None,
        first_url=f"{first.path}?{first.query}" if first.query else first.path,
        paged=after is not None,
        sources=sources,
        languages=LANGUAGES,
        orders=SEARCH_ORDERS,
        form={
            "q": query or "",
            "since": since or "",
            "until": until or "",
            "source": source or "",
            "lang": lang or "",
            "cluster": cluster or "",
            "order": wanted.order,
        },
    )


@router.get("/articles/{article_id}")
def article_page(
    request: Request, article_id: int, a: int | None = None, b: int | None = None
) -> Response:
    with _store(request).session() as s:
        article = q.get_article(s, article_id)
        if article is None:
            raise HTTPException(404, f"no article with id {article_id}")
        record = article_record(article, with_text=True)
        figures = [
            {
                "metric": m.metric,
                "subject": m.subject,
                "text": m.text,
                "value": number(m.value),
                "qualifier": m.qualifier,
                "unit": m.unit,
            }
            for m in wq.mentions_of_article(s, article_id)
        ]
        copies = (
            [
                article_record(c)
                for c in q.cluster_members(s, article.cluster_id)
                if c.id != article.id
            ]
            if article.cluster_id
            else []
        )
    numbers = [v["number"] for v in record["history"]]
    diff = None
    if len(numbers) > 1:
        old = a if a in numbers else numbers[-2]
        new = b if b in numbers else numbers[-1]
        texts = {v["number"]: v["text"] for v in record["history"]}
        diff = {"a": old, "b": new, "rows": diff_rows(texts[old], texts[new])}
    return render(
        request,
        "article.html",
        article=record,
        figures=figures,
        copies=copies,
        diff=diff,
        numbers=numbers,
    )


# -- figures ---------------------------------------------------------------------------------
@router.get("/figures")
def figures_page(request: Request, subject: str | None = None) -> Response:
    watched = request.app.state.watched
    with _store(request).session() as s:
        standing = [
            current_record(key, row)
            for key, row in request.app.state.ledger.standing(s, subject or watched)
        ]
        metrics = wq.metric_names(s)
    return render(
        request, "figures.html", standing=standing, metrics=metrics, subject=subject or watched
    )


@router.get("/figures/{metric}")
def metric_page(
    request: Request, metric: str, subject: str | None = None, after: str | None = None
) -> Response:
    """A metric's chart (its whole history, one point per date) over a page of its
    statements, newest first."""
    watched = subject or request.app.state.watched
    cursor = history_cursor(after)
    with _store(request).session() as s:
        series = q.metric_series(s, watched, metric)
        page = q.metric_history(
            s, watched, metric, after=cursor, limit=HISTORY_PAGE, newest_first=True
        )
        flags = q.flags_by_mention(s, [r.id for r in page.items])
        records: list[dict[str, Any]] = [
            {**history_record(r, flags[r.id]), "article_id": r.article_id} for r in page.items
        ]
    charts = [
        c
        for c in (series_chart(series, unit) for unit in sorted({p.unit for p in series}))
        if c is not None
    ]
    following = request.url.include_query_params(after=str(page.next)) if page.next else None
    first = request.url.remove_query_params("after")
    return render(
        request,
        "metric.html",
        metric=metric,
        subject=watched,
        records=records,
        charts=charts,
        statements=sum(p.statements for p in series),
        next_url=f"{following.path}?{following.query}" if following else None,
        first_url=f"{first.path}?{first.query}" if first.query else first.path,
        paged=after is not None,
    )


# -- flags -----------------------------------------------------------------------------------
REVIEWER_COOKIE = "pressmon_reviewer"
QUEUE_PAGE = 25


def _reviewer(request: Request) -> str:
    return unquote(request.cookies.get(REVIEWER_COOKIE, ""))


def _remember_reviewer(response: Response, by: str) -> Response:
    """The reviewer's name for the next form, kept a year in this browser."""
    if by.strip():
        response.set_cookie(
            REVIEWER_COOKIE,
            quote(by.strip()[:200]),
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
        )
    return response


def _flag_cursor(after: str | None) -> q.FlagCursor | None:
    try:
        return wq.parse_cursor(after)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/flags")
def flags_page(
    request: Request, state: str = "open", kind: str | None = None, after: str | None = None
) -> Response:
    wanted_state = state if state in FLAG_STATES else None
    wanted_kind = kind if kind in FLAG_KINDS else None
    with _store(request).session() as s:
        flags, cursor = q.flag_queue(
            s, state=wanted_state, kind=wanted_kind, after=_flag_cursor(after), limit=QUEUE_PAGE
        )
        total = q.count_flags(s, state=wanted_state, kind=wanted_kind)
        records = [
            flag_record(f) | {"article_id": f.mention.article_id, "title": f.mention.article.title}
            for f in flags
        ]
        trail = [wq.review_record(r) for r in wq.recent_reviews(s)]
    here = {"state": state} | ({"kind": kind} if kind else {})
    return render(
        request,
        "flags.html",
        flags=records,
        total=total,
        paged=after is not None,
        first_page="/flags?" + urlencode(here),
        next_page="/flags?" + urlencode(here | {"after": wq.cursor_text(cursor)})
        if cursor
        else None,
        trail=trail,
        state=state,
        kind=kind or "",
        states=FLAG_STATES,
        kinds=FLAG_KINDS,
        reviewer=_reviewer(request),
    )


@router.get("/flags/{flag_id}")
def flag_page(request: Request, flag_id: int) -> Response:
    with _store(request).session() as s:
        flag = q.get_flag(s, flag_id)
        if flag is None:
            raise HTTPException(404, f"no flag with id {flag_id}")
        record = flag_record(flag)
        trail = [wq.review_record(r) for r in wq.reviews_of_flag(s, flag_id)]
        article_id = flag.mention.article_id
        article_title = flag.mention.article.title
    return render(
        request,
        "flag.html",
        flag=record,
        trail=trail,
        article_id=article_id,
        article_title=article_title,
        reviewer=_reviewer(request),
    )


REVIEW_STATES: dict[str, ReviewDecision] = {"accept": "accepted", "dismiss": "dismissed"}


def _decision(request: Request, csrf_token: str, action: str) -> ReviewDecision:
    """The review a form asks for, once its CSRF token is checked."""
    access: Access = request.app.state.access
    if not access.csrf_ok(request.cookies.get(SESSION_COOKIE), csrf_token):
        raise HTTPException(403, "the form's CSRF token is missing or stale: reload the page")
    if action not in REVIEW_STATES:
        raise HTTPException(400, f"action {action!r}: expected accept or dismiss")
    return REVIEW_STATES[action]


@router.post("/flags/review")
def review_many_form(
    request: Request,
    action: Annotated[str, Form()],
    flag: Annotated[list[int] | None, Form()] = None,
    csrf_token: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    by: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/flags",
) -> Response:
    """Accept or dismiss every ticked flag of the queue at once, with one note and reviewer."""
    state = _decision(request, csrf_token, action)
    ids = sorted(set(flag or []))
    if not ids:
        raise HTTPException(400, "no flag selected: tick the flags to accept or dismiss")
    with _store(request).session() as s:
        found = {f.id: f for f in (q.get_flag(s, i) for i in ids) if f is not None}
        missing = [i for i in ids if i not in found]
        if missing:
            raise HTTPException(404, f"no flag with id {', '.join(map(str, missing))}")
        for flag_id in ids:
            wq.review(s, request.app.state.ledger, found[flag_id], state, by, note)
    return _remember_reviewer(local_redirect(next, "/flags"), by)


@router.post("/flags/{flag_id}/review")
def review_form(
    request: Request,
    flag_id: int,
    action: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    by: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/flags",
) -> Response:
    state = _decision(request, csrf_token, action)
    with _store(request).session() as s:
        flag = q.get_flag(s, flag_id)
        if flag is None:
            raise HTTPException(404, f"no flag with id {flag_id}")
        wq.review(s, request.app.state.ledger, flag, state, by, note)
    return _remember_reviewer(local_redirect(next, "/flags"), by)


# -- login (only when a token is required) ---------------------------------------------------
@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=next, failed=False)


@router.post("/login")
def login(
    request: Request, token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
) -> Response:
    access: Access = request.app.state.access
    if access.token is None:
        return local_redirect(next)
    if not access.token_matches(token):
        return render(request, "login.html", status_code=403, next=next, failed=True)
    response = local_redirect(next)
    response.set_cookie(AUTH_COOKIE, access.cookie_value, httponly=True, samesite="lax")
    return response
