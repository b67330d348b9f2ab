"""What happens to a fetched page: clean, judge, dedupe and store it.

The crawl's core, free of Scrapy: `analyse` is the CPU-bound part (cleaning,
relevance, hashes) and may run in a worker process; `PageProcessor.record`
does the database part and decides what the page is — new, revised,
unchanged, skipped as irrelevant — so a re-run never duplicates anything.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from crawler.clean import CleanPage, clean_html
from crawler.dedupe import NearDuplicates, content_hash, signature
from crawler.items import Fetched
from crawler.relevance import Relevance, Watch
from crawler.urls import url_key
from figures.catalogue import Catalogue
from figures.extract import extract
from figures.ledger import Ledger
from figures.model import Mention
from store import Store
from store import queries as q
from store.models import Article, ArticleVersion, Cluster, FetchState, Flag


class Outcome(enum.StrEnum):
    NEW = "new"
    REVISED = "revised"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    ERROR = "errors"


def now() -> datetime:
    """Naive UTC, as stored."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Analysis:
    """The pure result of looking at a page: picklable, so a worker can make it."""

    page: CleanPage
    relevance: Relevance
    text_hash: str
    signature: bytes
    mentions: tuple[Mention, ...] = ()  # as_of is set when the store knows the article's date


def analyse(fetched: Fetched, watch: Watch, catalogue: Catalogue | None = None) -> Analysis:
    """Clean a page, judge it and, if relevant, find its figures; CleaningError if no text."""
    page = clean_html(
        fetched.body,
        url=fetched.final_url,
        content_type=fetched.content_type,
        fallback_date=fetched.hints.published,
    )
    if page.title is None and fetched.hints.title:
        page = dataclasses.replace(page, title=fetched.hints.title)
    return analyse_page(page, watch, catalogue)


def analyse_page(page: CleanPage, watch: Watch, catalogue: Catalogue | None = None) -> Analysis:
    """Judge clean text and, if relevant, find its figures (the part after cleaning)."""
    relevance = watch.matcher.judge(page.title, page.text)
    mentions: tuple[Mention, ...] = ()
    if relevance.relevant and catalogue is not None:
        mentions = tuple(
            extract(
                page.text,
                language=page.language,
                published=None,
                catalogue=catalogue,
                subject=watch.name,
            )
        )
    return Analysis(page, relevance, content_hash(page.text), signature(page.text), mentions)


@dataclass
class Tally:
    """Counts and problems of one source's crawl."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, str, datetime]] = field(default_factory=list)
    created_flags: list[Flag] = field(default_factory=list)

    def error(self, url: str, reason: str) -> None:
        self.counts[Outcome.ERROR] += 1
        self.problems.append((url, reason, now()))


class PageProcessor:
    """Records fetched pages in the store; one per crawl process."""

    def __init__(
        self,
        store: Store,
        watch: Watch,
        source_ids: dict[str, int],
        near_duplicate_threshold: float,
        ledger: Ledger | None = None,
    ) -> None:
        self.store = store
        self.watch = watch
        self.source_ids = source_ids
        self.ledger = ledger  # the figures step; None stores articles only
        self.near = NearDuplicates(near_duplicate_threshold)
        with store.session() as session:
            self.near.add_all(q.current_signatures(session))

    # -- before analysis: is there anything to do? -------------------------------------------
    def settle_unchanged(self, fetched: Fetched) -> Outcome | None:
        """Handle a 304 or byte-identical page without cleaning it; None if it needs analysis."""
        body_hash = content_hash(fetched.body) if fetched.status != 304 else None
        with self.store.session() as session:
            state = q.fetch_state(session, url_key(fetched.final_url)) or q.fetch_state(
                session, url_key(fetched.url)
            )
            if state is None or (body_hash is not None and state.content_hash != body_hash):
                return None
            self._remember(session, fetched, state.content_hash, state.relevant, state.article_id)
            if state.article_id is not None:
                article = session.get_one(Article, state.article_id)
                article.last_seen = now()
                self._follow_move(session, article, fetched.final_url)
            return Outcome.UNCHANGED if state.relevant is not False else Outcome.SKIPPED

    # -- after analysis ----------------------------------------------------------------------
    def record(self, fetched: Fetched, analysis: Analysis, tally: Tally) -> Outcome:
        """Store an analysed page and say what it was."""
        body_hash = content_hash(fetched.body)
        stamp = now()
        with self.store.session() as session:
            if not analysis.relevance.relevant:
                self._remember(session, fetched, body_hash, False, None)
                return Outcome.SKIPPED
            article = (
                q.article_by_key(session, url_key(fetched.final_url))
                or q.article_by_key(session, url_key(fetched.url))
                or q.article_with_text_hash(session, analysis.text_hash)
            )
            if article is None:
                article = self._new_article(session, fetched, analysis, stamp)
                outcome = Outcome.NEW
            else:
                outcome = self._revisit(session, article, fetched, analysis, stamp)
            if outcome is not Outcome.UNCHANGED and self.ledger is not None:
                version = q.current_version(session, article.id)
                flags = self.ledger.record_version(
                    session, article, version, analysis.mentions, stamp
                )
                tally.created_flags.extend(flags)
            self._remember(session, fetched, body_hash, True, article.id)
            return outcome

    def _new_article(
        self, session: Session, fetched: Fetched, analysis: Analysis, stamp: datetime
    ) -> Article:
        page = analysis.page
        article = Article(
            url_key=url_key(fetched.final_url),
            url=fetched.final_url,
            source_id=self.source_ids.get(fetched.source),
            title=page.title or fetched.hints.title,
            author=page.author,
            sitename=page.sitename,
            published=page.date or fetched.hints.published,
            language=page.language,
            first_seen=stamp,
            last_seen=stamp,
            relevance=analysis.relevance.score,
            aliases=list(analysis.relevance.aliases),
        )
        session.add(article)
        session.flush()
        self._add_version(session, article, analysis, number=1, stamp=stamp)
        self._cluster(session, article, analysis.signature, stamp)
        return article

    def _revisit(
        self,
        session: Session,
        article: Article,
        fetched: Fetched,
        analysis: Analysis,
        stamp: datetime,
    ) -> Outcome:
        article.last_seen = stamp
        self._follow_move(session, article, fetched.final_url)
        current = q.current_version(session, article.id)
        if current is not None and current.content_hash == analysis.text_hash:
            return Outcome.UNCHANGED
        page = analysis.page
        article.title = page.title or article.title
        article.published = article.published or page.date
        article.relevance = analysis.relevance.score
        article.aliases = list(analysis.relevance.aliases)
        self._add_version(
            session, article, analysis, number=(current.number + 1) if current else 1, stamp=stamp
        )
        self.near.add(article.id, analysis.signature)
        return Outcome.REVISED

    @staticmethod
    def _follow_move(session: Session, article: Article, final_url: str) -> None:
        """A page that now answers at another URL (a redirect) moves its article there."""
        key = url_key(final_url)
        if key != article.url_key and q.article_by_key(session, key) is None:
            article.url_key, article.url = key, final_url

    def _add_version(
        self,
        session: Session,
        article: Article,
        analysis: Analysis,
        *,
        number: int,
        stamp: datetime,
    ) -> None:
        session.add(
            ArticleVersion(
                article_id=article.id,
                number=number,
                fetched_at=stamp,
                title=analysis.page.title,
                text=analysis.page.text,
                content_hash=analysis.text_hash,
                signature=analysis.signature,
            )
        )
        self.store.search_index.index(session, article.id, article.title, analysis.page.text)

    def _cluster(self, session: Session, article: Article, sig: bytes, stamp: datetime) -> None:
        """Join the cluster of the most similar known page, and name the cluster's truth."""
        matches = [k for k in self.near.matches(sig) if k != article.id]
        self.near.add(article.id, sig)
        if not matches:
            return
        other = session.get_one(Article, matches[0])
        if other.cluster_id is None:
            cluster = Cluster(created=stamp)
            session.add(cluster)
            session.flush()
            other.cluster_id = cluster.id
        article.cluster_id = other.cluster_id
        session.flush()
        members = q.cluster_members(session, article.cluster_id)
        q.cluster(session, article.cluster_id).truth_id = min(  # type: ignore[union-attr]
            members, key=self._truth_rank
        ).id

    def _truth_rank(self, article: Article) -> tuple:
        """The organisation's own page first, then the earliest copy."""
        own = any(article.url.startswith(prefix) for prefix in self.watch.own_sites)
        return (
            not own,
            article.published or article.first_seen.date(),
            article.first_seen,
            article.id,
        )

    def _remember(
        self,
        session: Session,
        fetched: Fetched,
        body_hash: str | None,
        relevant: bool | None,
        article_id: int | None,
    ) -> None:
        """Upsert the fetch state of the requested URL and, after a redirect, the final one."""
        for url in dict.fromkeys((fetched.url, fetched.final_url)):
            key = url_key(url)
            state = session.get(FetchState, key) or FetchState(url_key=key, url=url)
            if fetched.status != 304:
                state.etag, state.last_modified = fetched.etag, fetched.last_modified
            state.last_status, state.last_fetched = fetched.status, now()
            state.content_hash, state.relevant = body_hash, relevant
            state.article_id, state.error = article_id, None
            session.add(state)

    def settle_flags(self, tally: Tally) -> None:
        """Bring the flags up to date with everything recorded since the last call."""
        if self.ledger is None:
            return
        with self.store.session() as session:
            tally.created_flags.extend(self.ledger.flush(session, now()))

    def touch(self, url: str) -> None:
        """A page the sitemap says is unchanged: only its article's last_seen moves."""
        with self.store.session() as session:
            state = q.fetch_state(session, url_key(url))
            if state is not None and state.article_id is not None:
                q.touch_article(session, state.article_id, now())

    def remember_error(self, url: str, status: int | None, reason: str) -> None:
        """Note a failed URL so that listings count it as known."""
        with self.store.session() as session:
            key = url_key(url)
            state = session.get(FetchState, key) or FetchState(url_key=key, url=url)
            state.last_status, state.last_fetched, state.error = status, now(), reason
            session.add(state)
