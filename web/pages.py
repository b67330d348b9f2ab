"""The HTML pages: digests, articles (search, filters, versions, diffs), figures, flag review.

Each route opens one session on the app's Store, builds records with the same
functions the CLI's JSON uses (store.records, figures.records), and renders a
template that escapes everything. The one state-changing form (review a flag) is a POST
checked against the session's CSRF token.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from fastapi.responses import RedirectResponse

from figures.model import FLAG_KINDS
from figures.records import current_record, history_record
from store import Store
from store import queries as q
from store.kinds import ReviewDecision
from store.paging import SEARCH_ORDERS, Cursor
from store.records import article_record, flag_record, number
from web import queries as wq
from web.access import AUTH_COOKIE, SESSION_COOKIE, Access
from web.chart import build_chart
from web.diff import diff_rows
from web.templating import render

router = APIRouter(include_in_schema=False)
LANGUAGES = ("en", "zh")
PAGE_SIZE = 50
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


# -- digests ---------------------------------------------------------------------------------
@router.get("/")
def latest_digest_page(request: Request) -> Response:
    with _store(request).session() as s:
        digest = wq.latest_digest(s)
        record = wq.digest_record(digest) if digest else None
    return render(request, "digest.html", digest=record, latest=True)


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
    return render(request, "digest.html", digest=record, latest=False)


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
        after=_cursor(after),
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


def _cursor(value: str | None) -> Cursor | None:
    try:
        return Cursor.parse(value) if value else None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


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
def metric_page(request: Request, metric: str, subject: str | None = None) -> Response:
    watched = request.app.state.watched
    with _store(request).session() as s:
        rows = q.current_mentions(s, subject or watched, metric)
        flags = q.flags_of_mentions(s, [r.id for r in rows])
        records: list[dict[str, Any]] = [
            {
                **history_record(r, [f for f in flags if f.mention_id == r.id]),
                "article_id": r.article_id,
            }
            for r in rows
        ]
    units = sorted({r["unit"] for r in records})
    charts = [
        c
        for c in (
            build_chart(records, unit, lambda r: f"/articles/{r['article_id']}") for unit in units
        )
        if c is not None
    ]
    return render(
        request,
        "metric.html",
        metric=metric,
        subject=subject or watched,
        records=list(reversed(records)),
        charts=charts,
    )


# -- flags -----------------------------------------------------------------------------------
@router.get("/flags")
def flags_page(request: Request, state: str = "open", kind: str | None = None) -> Response:
    with _store(request).session() as s:
        flags = q.list_flags(
            s,
            state=state if state in FLAG_STATES else None,
            kind=kind if kind in FLAG_KINDS else None,
        )
        records = [flag_record(f) for f in flags]
        trail = [wq.review_record(r) for r in wq.recent_reviews(s)]
    return render(
        request,
        "flags.html",
        flags=records,
        trail=trail,
        state=state,
        kind=kind or "",
        states=FLAG_STATES,
        kinds=FLAG_KINDS,
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
    return render(request, "flag.html", flag=record, trail=trail, article_id=article_id)


@router.post("/flags/{flag_id}/review")
def review_form(
    request: Request,
    flag_id: int,
    action: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    by: Annotated[str, Form()] = "web",
    next: Annotated[str, Form()] = "/flags",
) -> Response:
    access: Access = request.app.state.access
    if not access.csrf_ok(request.cookies.get(SESSION_COOKIE), csrf_token):
        raise HTTPException(403, "the form's CSRF token is missing or stale: reload the page")
    states: dict[str, ReviewDecision] = {"accept": "accepted", "dismiss": "dismissed"}
    if action not in states:
        raise HTTPException(400, f"action {action!r}: expected accept or dismiss")
    with _store(request).session() as s:
        flag = q.get_flag(s, flag_id)
        if flag is None:
            raise HTTPException(404, f"no flag with id {flag_id}")
        wq.review(s, request.app.state.ledger, flag, states[action], by, note)
    return local_redirect(next, "/flags")


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
