"""Headlines: news-search items whose link cannot be resolved to the publisher's article.

An aggregator's opaque link (see `crawler.wrappers`) gives no article to fetch, but the
item still says something: a title, a publisher and its site (`<source url=…>`), a date.
It is kept as an article of kind "headline" under the aggregator's link, judged for
relevance on its title alone, and searchable by its title. When the article itself is
fetched later (from another source, or a later resolution), `crawler.process` finds the
headline by title and site and upgrades it in place: same id, the publisher's URL, text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from crawler.language import detect_language
from crawler.relevance import Watch
from crawler.urls import url_key
from store import Store
from store import queries as q
from store import writes as w
from store.clock import Clock, now

Kept = Literal["headline", "known", "article", "irrelevant"]


@dataclass(frozen=True)
class Headline:
    """A news-search item as its feed states it."""

    title: str  # without the " - Publisher" suffix
    link: str  # the aggregator's link, as given
    publisher: str | None
    publisher_site: str | None
    published: date | None


def keep_headline(
    store: Store, watch: Watch, source_id: int | None, item: Headline, clock: Clock = now
) -> Kept:
    """Store a relevant headline unless it or its article is stored already; say which."""
    relevance = watch.matcher.judge(item.title, "")
    if not relevance.relevant:
        return "irrelevant"
    stamp = clock()
    with store.session() as session:
        known = q.article_by_key(session, url_key(item.link))
        if known is not None:
            w.touch_article(session, known.id, stamp)
            return "known" if known.kind == "headline" else "article"
        if q.article_for_headline(session, item.title, item.publisher_site) is not None:
            return "article"
        article = w.insert_article(
            session,
            kind="headline",
            publisher_site=item.publisher_site,
            url_key=url_key(item.link),
            url=item.link,
            source_id=source_id,
            title=item.title,
            author=None,
            sitename=item.publisher,
            published=item.published,
            language=detect_language(item.title, None),
            first_seen=stamp,
            last_seen=stamp,
            relevance=relevance.score,
            aliases=list(relevance.aliases),
        )
        if article is None:  # another writer stored it since we looked
            return "known"
        store.search_index.index(session, article.id, article.title, item.title)
        return "headline"
