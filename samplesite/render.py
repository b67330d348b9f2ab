"""Turn the articles of one edition into HTTP resources: pages, listing, feeds, sitemaps.

Sits between `articles` (the data) and `server` (HTTP): `resolve(edition, path, query, base)`
answers what a URL serves. Feeds, listings and sitemaps come from `index.source_lists`, the
lists the manifest in `index.pages()` is built from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, PackageLoader, select_autoescape

from samplesite import aggregators
from samplesite.articles import Article, in_edition
from samplesite.index import source_lists
from samplesite.papers import paper_pdf

PER_PAGE = 4
HKT = dt.timezone(dt.timedelta(hours=8))
NEWS_LANG = {"en": "en", "zh-Hant": "zh-tw", "zh-Hans": "zh-cn"}
SITE_NAMES = {
    "newsroom": "HKSTP Newsroom",
    "wire": "Harbour Press Wire",
    "blog": "Tolo Harbour Tech Notes",
    "gov": "Government Press Releases",
    "news": "Pearl River Daily",
    "private": "HKSTP internal",
}

_env = Environment(
    loader=PackageLoader("samplesite", "templates"),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Resource:
    """A body to serve; `modified` drives Last-Modified, `etag` is derived from the body."""

    body: bytes
    content_type: str
    modified: dt.datetime | None = None
    stale_etag: str | None = None  # served as-is, ignoring If-None-Match (the wire feed)

    @property
    def etag(self) -> str:
        return self.stale_etag or '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


@dataclass(frozen=True)
class Redirect:
    location: str
    status: int = 301


def moment(day: dt.date | None) -> dt.datetime:
    """Articles go out at 10:00 Hong Kong time on their date."""
    day = day or dt.date(2024, 3, 1)
    return dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=HKT)


def blocks(text: str) -> list[tuple[str, object]]:
    """Split a body into ('h2', text), ('ul', [items]) and ('p', text) blocks."""
    result: list[tuple[str, object]] = []
    for chunk in text.split("\n\n"):
        chunk = chunk.strip()
        if chunk.startswith("## "):
            result.append(("h2", chunk[3:]))
        elif chunk.startswith("- "):
            result.append(("ul", [line[2:] for line in chunk.splitlines()]))
        elif chunk:
            result.append(("p", " ".join(chunk.splitlines())))
    return result


def _html(
    template: str, modified: dt.datetime | None, encoding: str = "utf-8", **ctx: Any
) -> Resource:
    text = _env.get_template(template).render(**ctx)
    ctype = "text/html; charset=utf-8" if encoding == "utf-8" else "text/html"
    return Resource(text.encode(encoding), ctype, modified)


def _xml(template: str, ctype: str, modified: dt.datetime | None, **ctx: Any) -> Resource:
    text = _env.get_template(template).render(**ctx)
    return Resource(text.encode("utf-8"), f"{ctype}; charset=utf-8", modified)


Stamp = Callable[[Article], dt.datetime]


def stamper(edition: int, since: dt.datetime | None) -> Stamp:
    """When each article last changed, as the server sees it.

    Text dates are historic, but a revision or a move happens when the edition switches:
    those pages (and the sitemaps listing them) change at `since`, so lastmod and
    Last-Modified move past any earlier fetch, as they would on a live site.
    """

    def stamp(a: Article) -> dt.datetime:
        when = moment(a.modified_in(edition))
        if since is not None and edition >= 2 and (a.revision or a.moved_to):
            when = max(when, since)
        return when

    return stamp


def _newest(items: list[Article], stamp: Stamp) -> dt.datetime | None:
    return max((stamp(a) for a in items), default=None)


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def article_page(article: Article, edition: int, base: str, stamp: Stamp) -> Resource:
    related = [
        a
        for a in in_edition(edition, article.site)
        if a.id != article.id
        and a.relevant == article.relevant
        and _encodable(a.title, article.encoding)
    ][:4]
    if article.published is None:
        related = []  # dated sibling URLs would hand date guessers a false date
    return _html(
        f"{article.site}_article.html" if article.site != "private" else "newsroom_article.html",
        stamp(article),
        article.encoding,
        a=article,
        text=blocks(article.text_in(edition)),
        published=moment(article.published) if article.published else None,
        related=[(r.path_in(edition), r) for r in related],
        site_name=SITE_NAMES[article.site],
        charset=article.encoding == "utf-8",
        base=base,
        path=article.path_in(edition),
    )


def _listing(edition: int, query: dict[str, list[str]], stamp: Stamp) -> Resource | None:
    items = in_edition(edition, "newsroom")
    raw = query.get("page", ["1"])[0]
    if not raw.isdigit():
        return None
    page = int(raw)
    last = max(1, -(-len(items) // PER_PAGE))
    if not 1 <= page <= last:
        return None
    shown = items[(page - 1) * PER_PAGE : page * PER_PAGE]
    return _html(
        "newsroom_listing.html",
        _newest(shown, stamp),
        items=[(a.path_in(edition), a) for a in shown],
        page=page,
        last=last,
        site_name=SITE_NAMES["newsroom"],
        edition=edition,
    )


def _rss(
    title: str,
    link: str,
    items: list[tuple[str, Article]],
    base: str,
    modified: dt.datetime | None = None,
    stale_etag: str | None = None,
) -> Resource:
    res = _xml(
        "rss.xml",
        "application/rss+xml",
        modified,
        title=title,
        link=link,
        base=base,
        items=[
            {
                "url": base + path,
                "title": a.title,
                "date": format_datetime(moment(a.published)) if a.published else None,
                "summary": a.summary,
            }
            for path, a in items
        ],
    )
    return Resource(res.body, res.content_type, res.modified, stale_etag)


def _feed_date(article: Article) -> str | None:
    return format_datetime(moment(article.published)) if article.published else None


def _index(edition: int, prefix: str, title: str) -> Resource:
    live = [a for a in in_edition(edition) if a.path_in(edition).startswith(prefix)]
    return _html(
        "index.html",
        None,
        title=title,
        items=[(a.path_in(edition), a) for a in live if a.site != "private"],
    )


def resolve(
    edition: int, path: str, query: str, base: str, since: dt.datetime | None = None
) -> Resource | Redirect | None:
    """What `path?query` serves in `edition` (switched to at `since`); None means 404."""
    stamp = stamper(edition, since)
    q = parse_qs(query)
    lists = source_lists(edition)
    live = in_edition(edition)
    if path == "/robots.txt":
        text = f"User-agent: *\nDisallow: /private/\n\nSitemap: {base}/sitemap.xml\n"
        return Resource(text.encode(), "text/plain; charset=utf-8")
    if path == "/sitemap.xml":
        parts = [a for _, a in lists["sitemap"]]
        return _xml(
            "sitemap_index.xml",
            "application/xml",
            _newest(parts, stamp),
            base=base,
            maps=[
                ("/gov/sitemap.xml", _newest([a for a in parts if a.site == "gov"], stamp)),
                (
                    "/news/news-sitemap.xml",
                    _newest([a for a in parts if a.site == "news"], stamp),
                ),
            ],
        )
    if path in ("/gov/sitemap.xml", "/news/news-sitemap.xml"):
        site = path.split("/")[1]
        items = [(p, a) for p, a in lists["sitemap"] if a.site == site]
        return _xml(
            "urlset.xml" if site == "gov" else "news_sitemap.xml",
            "application/xml",
            _newest([a for _, a in items], stamp),
            base=base,
            items=[(p, a, stamp(a), NEWS_LANG[a.lang], SITE_NAMES[a.site]) for p, a in items],
        )
    if path == "/hkstp/news/":
        return _listing(edition, q, stamp)
    if path == "/wire/rss.xml":
        return _rss(
            "Harbour Press Wire: Technology",
            f"{base}/wire/",
            lists["wire"],
            base,
            stale_etag='"wire-rss-2022"',
        )
    if path == "/search/rss":
        hits = lists["search"] if q.get("q", [""])[0].strip().lower() == "hkstp" else []
        title = f'"{q.get("q", [""])[0]}" - news search'
        return _rss(title, f"{base}/search/", hits, base, _newest([a for _, a in hits], stamp))
    if path in ("/search/bing", "/search/gnews"):
        asked = q.get("q", [""])[0].strip().lower() == "hkstp"
        kind = path.rsplit("/", 1)[1]
        make = aggregators.bing_items if kind == "bing" else aggregators.gnews_items
        return _xml(
            "rss.xml",
            "application/rss+xml",
            None,
            title=f'"{q.get("q", [""])[0]}" - {kind} news search',
            link=f"{base}/search/",
            items=make(edition, base, _feed_date, SITE_NAMES) if asked else [],
        )
    if path == "/bing/apiclick.aspx":
        target = q.get("url", [""])[0]
        return Redirect(target, 302) if target.startswith(("http://", "https://")) else None
    if path.startswith("/go/"):
        found = aggregators.redirect_target(edition, path.removeprefix("/go/"), base)
        return Redirect(found, 302) if found else None
    if path.startswith("/gnews/rss/articles/"):
        return Resource(aggregators.INTERSTITIAL.encode(), "text/html; charset=utf-8")
    if path == "/blog/atom.xml":
        posts = [a for _, a in lists["blog"]]
        return _xml(
            "atom.xml",
            "application/atom+xml",
            _newest(posts, stamp),
            base=base,
            updated=(_newest(posts, stamp) or moment(None)).isoformat(),
            entries=[
                (
                    p,
                    a,
                    stamp(a).isoformat(),
                    a.published and moment(a.published).isoformat(),
                )
                for p, a in lists["blog"]
            ],
        )
    if path == "/":
        return _index(edition, "/", "Sample newsroom")
    for prefix in ("/wire/", "/blog/", "/gov/", "/news/"):
        if path == prefix:
            return _index(edition, prefix, SITE_NAMES[prefix.strip("/")])
    for a in live:
        if path == a.path_in(edition) and a.extra.get("pdf"):
            ctype = a.extra.get("content_type", "application/pdf")
            return Resource(paper_pdf(a, edition), ctype, stamp(a))
        if path == a.path_in(edition):
            return article_page(a, edition, base, stamp)
        if path == a.path and a.moved_to and edition >= 2:
            return Redirect(base + a.moved_to)
    return None
