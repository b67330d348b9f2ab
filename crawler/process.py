"""What happens to a fetched page: clean, judge, dedupe and store it.

The crawl's core, free of Scrapy: `crawler.analysis.analyse` is the CPU-bound part
(cleaning, relevance, hashes) and runs in the cleaning workers; `PageProcessor.record`
does the database part and decides what the page is — new, revised,
unchanged, skipped as irrelevant — so a re-run never duplicates anything.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import html
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Concatenate, ParamSpec, TypeVar, cast
from urllib.parse import urljoin, urlsplit

from sqlalchemy.orm import Session

from crawler.analysis import Analysis
from crawler.dedupe import NearDuplicates, content_hash
from crawler.items import Fetched
from crawler.relevance import Watch
from crawler.urls import url_key
from figures.ledger import Ledger, NewVersionMentions, as_of_date
from store import Store
from store import queries as q
from store import writes as w
from store.clock import Clock, now
from store.errors import StoreError, WriteRefused
from store.kinds import BROKEN_LINK, NOT_RELEVANT
from store.models import Article, Flag
from store.queries import KnownUrl

T = TypeVar("T")


class Outcome(enum.StrEnum):
    NEW = "new"
    REVISED = "revised"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    ERROR = "errors"


@dataclass
class Tally:
    """Counts and problems of one source's crawl."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, str, datetime]] = field(default_factory=list)
    created_flags: list[Flag] = field(default_factory=list)
    skips: list[tuple[str, str, datetime]] = field(default_factory=list)  # (url, why, when)

    def error(self, url: str, reason: str) -> None:
        self.counts[Outcome.ERROR] += 1
        self.problems.append((url, reason, now()))

    def broken(self, url: str, reason: str) -> None:
        """A dead link that is not an article (navigation, paging past the end): listed and
        counted, but the source is working, so it is not an error of the run."""
        self.counts["broken"] += 1
        self.problems.append((url, f"{BROKEN_LINK}: {reason}", now()))

    def skip(self, url: str, reason: str, *, count: bool = True) -> None:
        """An item passed over on purpose; `count=False` when its outcome is counted already."""
        if count:
            self.counts[Outcome.SKIPPED] += 1
        self.skips.append((url, reason, now()))


_CANONICAL = re.compile(rb"<link\b[^>]*>", re.IGNORECASE)
_REL_CANONICAL = re.compile(rb"""\brel\s*=\s*["']?canonical\b""", re.IGNORECASE)
_HREF = re.compile(rb"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
HEAD_BYTES = 64 * 1024  # a canonical link belongs in the head: look no further than this


def canonical_link(body: bytes, page_url: str) -> str | None:
    """The page's `<link rel=canonical>` when it names another URL on the page's own site."""
    for tag in _CANONICAL.finditer(body, 0, HEAD_BYTES):
        if not _REL_CANONICAL.search(tag.group(0)):
            continue
        href = _HREF.search(tag.group(0))
        if href is None:
            return None
        raw = next(g for g in href.groups() if g is not None)
        target = urljoin(page_url, html.unescape(raw.decode("utf-8", "replace")).strip())
        same_site = urlsplit(target).netloc.lower() == urlsplit(page_url).netloc.lower()
        if same_site and url_key(target) != url_key(page_url):
            return target
        return None
    return None


def _first(
    lookup: Callable[[Session, str], T | None], session: Session, *urls: str | None
) -> T | None:
    """What `lookup` finds for the first of these URLs it knows, each url_key asked once."""
    keys = dict.fromkeys(url_key(url) for url in urls if url)
    for key in keys:
        found = lookup(session, key)
        if found is not None:
            return found
    return None


def _moved_to(fetched: Fetched, stored_key: str, canonical: str | None = None) -> str | None:
    """Where the crawler saw the stored article go: a redirect from its URL, or its canonical."""
    if url_key(fetched.url) == stored_key and url_key(fetched.final_url) != stored_key:
        return fetched.final_url
    if canonical is not None and url_key(fetched.final_url) == stored_key:
        return canonical
    return None


def _page_keys(fetched: Fetched) -> list[str]:
    """The URL keys that may name a page's stored article (see `PageProcessor._record_page`)."""
    urls = (fetched.final_url, fetched.url, canonical_link(fetched.body, fetched.final_url))
    return list(dict.fromkeys(url_key(url) for url in urls if url))


def _fetch_rows(
    fetched: Fetched,
    stamp: datetime,
    body_hash: str | None,
    relevant: bool | None,
    article_id: int | None,
) -> list[w.FetchRow]:
    """The fetch states a stored page leaves: of the requested URL and, after a redirect,
    of the final one."""
    rows: list[w.FetchRow] = []
    for url in dict.fromkeys((fetched.url, fetched.final_url)):
        row: w.FetchRow = {
            "url_key": url_key(url),
            "url": url,
            "last_status": fetched.status,
            "last_fetched": stamp,
            "content_hash": body_hash,
            "relevant": relevant,
            "article_id": article_id,
            "error": None,
        }
        if fetched.status != 304:  # a 304 keeps the validators it answered
            row |= {"etag": fetched.etag, "last_modified": fetched.last_modified}
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Pending:
    """An analysed page waiting for its batch's transaction (`PageProcessor.record_many`)."""

    fetched: Fetched
    analysis: Analysis
    tally: Tally


Stored = tuple[Outcome, list[Flag]]  # what a page was, and the flags it raised


UNCHANGED_BATCH = 500  # unchanged pages written per transaction ...
UNCHANGED_SECONDS = 2.0  # ... or fewer, once the oldest has waited this long


@dataclass(frozen=True)
class Settled:
    """An unchanged page whose writes wait for the batch: its fetch state (None for a page
    the sitemap vouches for, which is not fetched), its article and the outcome counted."""

    url: str
    state: w.FetchRow | None
    article_id: int | None
    seen: datetime
    outcome: Outcome | None


@dataclass
class UnchangedBatch:
    """The unchanged pages that wait for one transaction (`PageProcessor.flush_unchanged`)."""

    pages: list[Settled] = field(default_factory=list)
    started: float = 0.0  # time.monotonic() when the first page joined

    def add(self, page: Settled) -> None:
        if not self.pages:
            self.started = time.monotonic()
        self.pages.append(page)

    def write(self, session: Session, run_id: int | None) -> None:
        """Every page's writes in the caller's transaction, a few statements in all."""
        w.upsert_fetch_states(session, [p.state for p in self.pages if p.state is not None])
        w.touch_articles(
            session, {p.article_id: p.seen for p in self.pages if p.article_id is not None}
        )
        counts = Counter(p.outcome.value for p in self.pages if p.outcome is not None)
        if run_id is not None and counts:
            w.count_run(session, run_id, {"pages": counts.total(), **counts})


P = ParamSpec("P")


def _one_at_a_time(
    method: Callable[Concatenate[PageProcessor, P], T],
) -> Callable[Concatenate[PageProcessor, P], T]:
    """Run the method under the processor's lock: batches of pages are written on a thread
    of their own (`crawler.pipeline.PageBatch`) while the reactor settles unchanged pages,
    and the figures ledger, the near-duplicate index and the unchanged batch are shared."""

    @functools.wraps(method)
    def locked(self: PageProcessor, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with self.lock:
            return method(self, *args, **kwargs)

    return locked


def _no_lock(_signatures: Sequence[bytes] | None) -> AbstractContextManager[object]:
    """One process writes alone: nothing to hold."""
    return nullcontext()


class PageProcessor:
    """Records fetched pages in the store; one per crawl process."""

    def __init__(
        self,
        store: Store,
        watch: Watch,
        source_ids: dict[str, int],
        near_duplicate_threshold: float,
        ledger: Ledger | None = None,
        clock: Clock = now,
        near: NearDuplicates | None = None,
        serialise: Callable[[Sequence[bytes] | None], AbstractContextManager[object]] | None = None,
    ) -> None:
        """`near`: a shared near-duplicate index (crawl workers), filled from the store if
        empty; `serialise(signatures)`: held around a transaction storing relevant pages
        with these signatures, so writers that share the index cluster copies one at a
        time (`crawler.write_locks`); `serialise(None)` excludes every page writer."""
        self.store = store
        self.now = clock
        self.watch = watch
        self.source_ids = source_ids
        self.ledger = ledger  # the figures step; None stores articles only
        self.run_id: int | None = None  # the crawl run whose counters the page writes add to
        self.tally: Tally | None = None  # the running source's tally (for refused batches)
        self._batch = UnchangedBatch()
        self.serialise = serialise or _no_lock
        self.near = near if near is not None else NearDuplicates(near_duplicate_threshold)
        self._near_filled = near is not None and len(near) > 0
        self.lock = threading.RLock()  # one thread at a time writes (`_one_at_a_time`)

    def _fill_near(self) -> None:
        """Fill the near-duplicate index from the store, before the first relevant page is
        written (a crawl that meets only unchanged pages never loads it)."""
        if not self._near_filled:
            with self.store.session() as session:
                self.near.add_all(q.current_signatures(session))
            self._near_filled = True

    # -- before analysis: is there anything to do? -------------------------------------------
    @_one_at_a_time
    def settle_unchanged(
        self, fetched: Fetched, tally: Tally | None = None, known: KnownUrl | None = None
    ) -> Outcome | None:
        """Handle a 304 or byte-identical page without cleaning it; None if it needs analysis.

        A page judged irrelevant before stays so: `tally` notes the skip's reason. `known`
        is what the crawl read of the URL when it started: given, and with no redirect to
        follow, the page's writes join the batch of unchanged pages (`flush_unchanged`).
        """
        body_hash = content_hash(fetched.body) if fetched.status != 304 else None
        if known is not None and url_key(fetched.url) == url_key(fetched.final_url):
            return self._settle_batched(fetched, body_hash, known, tally)
        with self.store.session() as session:
            state = _first(q.fetch_state, session, fetched.final_url, fetched.url)
            if state is None or (body_hash is not None and state.content_hash != body_hash):
                return None
            article_id = state.article_id
            self._remember(session, fetched, state.content_hash, state.relevant, article_id)
            if article_id is not None:
                article = q.article_by_id(session, article_id)
                w.touch_article(session, article.id, self.now())
                self._follow_move(session, article, _moved_to(fetched, article.url_key))
            outcome = Outcome.UNCHANGED if state.relevant is not False else Outcome.SKIPPED
            if outcome is Outcome.SKIPPED and tally is not None:
                tally.skip(fetched.final_url, NOT_RELEVANT, count=False)
            self._count(session, outcome)
            return outcome

    # -- after analysis ----------------------------------------------------------------------
    @_one_at_a_time
    def record(self, fetched: Fetched, analysis: Analysis, tally: Tally) -> Outcome:
        """Store an analysed page and say what it was (one page, one transaction)."""
        return self._write([Pending(fetched, analysis, tally)])[0]

    @_one_at_a_time
    def record_many(self, pages: Sequence[Pending]) -> list[Outcome | Exception]:
        """Store analysed pages in one transaction; per page what it was, or what lost it.

        New pages are written in batched statements, the others as `record` writes them,
        in order, so the outcome is the one of recording them one by one. A batch the
        database refuses, or one page whose processing fails, costs only that page: the
        pages are then written one per transaction. A store that is locked or gone fails
        them all. A crash before the commit loses the batch's pages together with their
        fetch states and counts: the next crawl fetches them again.
        """
        if not pages:
            return []
        try:
            return list(self._write(pages))
        except WriteRefused:
            pass
        except StoreError as exc:
            return [exc] * len(pages)
        except Exception:  # one page's fault: found below, page by page
            pass
        results: list[Outcome | Exception] = []
        for page in pages:
            try:
                results.append(self._write([page])[0])
            except WriteRefused as exc:
                results.append(exc)
            except StoreError as exc:
                return results + [exc] * (len(pages) - len(results))
            except Exception as exc:  # reported with its page
                results.append(exc)
        return results

    def _write(self, pages: Sequence[Pending]) -> list[Outcome]:
        """The pages' writes and their run's counts in one transaction; the tallies after."""
        relevant = any(page.analysis.relevance.relevant for page in pages)
        if relevant:
            self._fill_near()
        signatures = [p.analysis.signature for p in pages if p.analysis.relevance.relevant]
        lock = self.serialise(signatures) if relevant else nullcontext()
        with lock, self.store.session() as session:
            results = self._store(session, pages)
            counts = Counter(outcome.value for outcome, _flags in results)
            if self.run_id is not None:
                w.count_run(session, self.run_id, {"pages": len(pages), **counts})
        for page, (outcome, flags) in zip(pages, results, strict=True):
            if outcome is Outcome.SKIPPED:
                page.tally.skip(page.fetched.final_url, NOT_RELEVANT, count=False)
            page.tally.created_flags.extend(flags)
        return [outcome for outcome, _flags in results]

    def _store(self, session: Session, pages: Sequence[Pending]) -> list[Stored]:
        """Each page's outcome and new flags: runs of new pages together, the rest alone.

        A page is new when no stored article has any of its URLs, no news-search headline
        waits for it, and no earlier page of the batch takes one of its URLs.
        """
        results: dict[int, Stored] = {}
        keys = [_page_keys(page.fetched) for page in pages]
        stored = q.articles_by_keys(session, {key for page in keys for key in page})
        headlines: list[Article] | None = None
        taken: set[str] = set()  # URL keys an earlier page of the batch stores
        group: list[int] = []  # indexes of new pages, written together

        def flush() -> None:
            new = self._store_new(session, [pages[i] for i in group])
            results.update(zip(group, new, strict=True))
            group.clear()

        for index, page in enumerate(pages):
            if page.analysis.relevance.relevant:
                if headlines is None:
                    headlines = q.headlines(session)
                title = page.analysis.page.title
                if (
                    taken.intersection(keys[index])
                    or any(k in stored for k in keys[index])
                    or (q.matching_headline(headlines, title, page.fetched.final_url) is not None)
                ):
                    flush()
                    results[index] = self._record_page(session, page)
                    headlines = None  # a headline may have become this article
                    taken.update(keys[index])
                    continue
                taken.update(keys[index])
            group.append(index)
        flush()
        return [results[index] for index in range(len(pages))]

    def _store_new(self, session: Session, pages: Sequence[Pending]) -> list[Stored]:
        """New pages in batched statements: their articles, everything `_first_versions`
        writes, and the fetch states of all of them."""
        stamp = self.now()
        relevant = [page for page in pages if page.analysis.relevance.relevant]
        keys = w.insert_articles(
            session, [self._new_row(p.fetched, p.analysis, stamp) for p in relevant]
        )
        stored = {
            id(page): keys[url_key(page.fetched.final_url)]
            for page in relevant
            if url_key(page.fetched.final_url) in keys
        }
        late: dict[int, Stored] = {}  # another writer stored the URL since we looked
        for page in relevant:
            if id(page) not in stored:
                late[id(page)] = self._record_page(session, page)  # a revisit, then
        flags = self._first_versions(
            session, [(stored[id(p)], p) for p in relevant if id(p) in stored], stamp
        )
        rows = (
            row
            for page in pages
            if id(page) not in late
            for row in _fetch_rows(
                page.fetched,
                stamp,
                content_hash(page.fetched.body),
                page.analysis.relevance.relevant,
                stored.get(id(page)),
            )
        )
        w.upsert_fetch_states(session, list(rows))
        return [
            late.get(id(page))
            or (
                (Outcome.NEW, flags.get(id(page), []))
                if id(page) in stored
                else (Outcome.SKIPPED, [])
            )
            for page in pages
        ]

    def _first_versions(
        self, session: Session, fresh: Sequence[tuple[int, Pending]], stamp: datetime
    ) -> dict[int, list[Flag]]:
        """The first versions of new articles (article id, page), their search index entries,
        clusters and figures; the flags raised, by id() of the page.

        Clustered one by one, in order: each sees the copies stored before it, as
        `record` would have, and none after it."""
        versions = w.insert_versions(
            session, [self._version_row(a, p.analysis, 1, stamp) for a, p in fresh]
        )
        self.store.search_index.index_many(
            session,
            [
                (a, p.analysis.page.title or p.fetched.hints.title, p.analysis.page.text)
                for a, p in fresh
            ],
        )
        copies = q.articles_with_text_hashes(session, [p.analysis.text_hash for _, p in fresh])
        later = {article_id for article_id, _ in fresh}
        for article_id, page in fresh:
            later.discard(article_id)
            self.near.add(article_id, page.analysis.signature)
            exact = [a for a in copies.get(page.analysis.text_hash, []) if a not in later]
            self._cluster(session, article_id, page.analysis, stamp, exact)
        if self.ledger is None:
            return {}
        found = self.ledger.record_new(
            session,
            [
                NewVersionMentions(
                    article_id,
                    versions[(article_id, 1)],
                    as_of_date(
                        page.analysis.page.date or page.fetched.hints.published,
                        stamp,
                        page.fetched.hints.modified,
                    ),
                    page.analysis.mentions,
                )
                for article_id, page in fresh
            ],
            stamp,
        )
        return {id(page): flags for (_, page), flags in zip(fresh, found, strict=True)}

    def _record_page(self, session: Session, page: Pending) -> Stored:
        """One page written as it always was: a revisit, a revision, a headline's article."""
        fetched, analysis = page.fetched, page.analysis
        body_hash = content_hash(fetched.body)
        stamp = self.now()
        if not analysis.relevance.relevant:
            self._remember(session, fetched, body_hash, False, None)
            return Outcome.SKIPPED, []
        # Only the URLs the crawler saw name a stored article: the page's own, the one a
        # redirect started from, or its same-site canonical link. Another page with the
        # same text is a copy (a wire reprinting a release), never the article moved.
        canonical = canonical_link(fetched.body, fetched.final_url)
        article = _first(
            q.article_by_key, session, fetched.final_url, fetched.url, canonical
        ) or q.headline_for(session, analysis.page.title, fetched.final_url)
        if article is None:
            article, outcome = self._new_article(session, fetched, analysis, stamp)
        elif article.kind == "headline":  # a news-search headline gets its text, in place
            w.update_article(session, article.id, kind="article")
            self._follow_move(session, article, fetched.final_url)  # the publisher's URL
            self._revisit(session, article, fetched, analysis, stamp)
            self._cluster(session, article.id, analysis, stamp)
            outcome = Outcome.NEW
        else:
            outcome = self._revisit(session, article, fetched, analysis, stamp, canonical)
        flags: list[Flag] = []
        if outcome is not Outcome.UNCHANGED and self.ledger is not None:
            version = q.current_version(session, article.id)
            assert version is not None  # the article was just stored with a version
            flags = self.ledger.record_version(  # an undated page: dated by the evidence
                session, article, version, analysis.mentions, stamp, fetched.hints.modified
            )
        self._remember(session, fetched, body_hash, True, article.id)
        return outcome, flags

    def _count(self, session: Session, outcome: Outcome) -> None:
        """Add the page to its run's record, in the transaction that stores it."""
        if self.run_id is not None:
            w.count_run(session, self.run_id, {"pages": 1, outcome.value: 1})

    def _new_row(self, fetched: Fetched, analysis: Analysis, stamp: datetime) -> w.NewArticle:
        return {
            "url_key": url_key(fetched.final_url),
            "url": fetched.final_url,
            "source_id": self.source_ids.get(fetched.source),
            "title": analysis.page.title or fetched.hints.title,
            "author": analysis.page.author,
            "sitename": analysis.page.sitename,
            "published": analysis.page.date or fetched.hints.published,
            "language": analysis.page.language,
            "first_seen": stamp,
            "last_seen": stamp,
            "relevance": analysis.relevance.score,
            "aliases": list(analysis.relevance.aliases),
        }

    @staticmethod
    def _version_row(
        article_id: int, analysis: Analysis, number: int, stamp: datetime
    ) -> w.NewVersion:
        return {
            "article_id": article_id,
            "number": number,
            "fetched_at": stamp,
            "title": analysis.page.title,
            "text": analysis.page.text,
            "content_hash": analysis.text_hash,
            "signature": analysis.signature,
        }

    def _new_article(
        self, session: Session, fetched: Fetched, analysis: Analysis, stamp: datetime
    ) -> tuple[Article, Outcome]:
        key = url_key(fetched.final_url)
        article = w.insert_article(session, **self._new_row(fetched, analysis, stamp))
        if article is None:  # another writer stored this URL since we looked: ours is a revisit
            existing = q.article_by_key(session, key)
            assert existing is not None, "the insert met this key"
            return existing, self._revisit(session, existing, fetched, analysis, stamp)
        self._add_version(session, article, analysis, number=1, stamp=stamp)
        self.near.add(article.id, analysis.signature)
        self._cluster(session, article.id, analysis, stamp)
        return article, Outcome.NEW

    def _revisit(
        self,
        session: Session,
        article: Article,
        fetched: Fetched,
        analysis: Analysis,
        stamp: datetime,
        canonical: str | None = None,
    ) -> Outcome:
        w.touch_article(session, article.id, stamp)
        self._follow_move(session, article, _moved_to(fetched, article.url_key, canonical))
        current = q.current_version(session, article.id)
        if current is not None and current.content_hash == analysis.text_hash:
            return Outcome.UNCHANGED
        page = analysis.page
        w.update_article(
            session,
            article.id,
            title=page.title or article.title,
            published=article.published or page.date,
            relevance=analysis.relevance.score,
            aliases=list(analysis.relevance.aliases),
        )
        self._add_version(
            session, article, analysis, number=(current.number + 1) if current else 1, stamp=stamp
        )
        self.near.add(article.id, analysis.signature)
        self._recluster(session, article, analysis, stamp)
        return Outcome.REVISED

    @staticmethod
    def _follow_move(session: Session, article: Article, target: str | None) -> None:
        """Move an article to the URL the crawler saw it move to, unless another holds it."""
        if target is None:
            return
        key = url_key(target)
        if key != article.url_key and q.article_by_key(session, key) is None:
            w.update_article(session, article.id, url_key=key, url=target)

    def _recluster(
        self, session: Session, article: Article, analysis: Analysis, stamp: datetime
    ) -> None:
        """A revision that no longer reads like its cluster leaves it, and finds its own."""
        if article.cluster_id is not None:
            cluster_id = article.cluster_id
            members = [m for m in q.cluster_members(session, cluster_id) if m.id != article.id]
            similar = set(self._similar(session, article.id, analysis))
            if any(m.id in similar for m in members):
                return
            w.leave_cluster(session, [article.id])
            if members:
                w.name_truth(session, cluster_id, min(members, key=self._truth_rank).id)
        self._cluster(session, article.id, analysis, stamp)

    def _add_version(
        self,
        session: Session,
        article: Article,
        analysis: Analysis,
        *,
        number: int,
        stamp: datetime,
    ) -> None:
        version = w.insert_version(
            session, **self._version_row(article.id, analysis, number, stamp)
        )
        if version is not None:  # None: another writer stored this version first
            self.store.search_index.index(session, article.id, article.title, analysis.page.text)

    def _similar(
        self,
        session: Session,
        article_id: int,
        analysis: Analysis,
        exact: Sequence[int] | None = None,
    ) -> list[int]:
        """Other articles with this text: exact copies first, then near ones, most alike first.

        `exact`: the articles with this very text, when the caller looked them up already."""
        if exact is None:
            exact = [a.id for a in q.articles_with_text_hash(session, analysis.text_hash)]
        exact = [a for a in exact if a != article_id]
        near = [cast(int, k) for k in self.near.matches(analysis.signature)]  # keys: article ids
        return list(dict.fromkeys(exact + [k for k in near if k != article_id]))

    def _cluster(
        self,
        session: Session,
        article_id: int,
        analysis: Analysis,
        stamp: datetime,
        exact: Sequence[int] | None = None,
    ) -> None:
        """Join the cluster of the most similar known page, and name the cluster's truth."""
        matches = self._similar(session, article_id, analysis, exact)
        if not matches:
            return
        other = q.article_by_id(session, matches[0])
        cluster_id = other.cluster_id
        if cluster_id is None:
            cluster_id = w.new_cluster(session, stamp)
            w.join_cluster(session, [other.id], cluster_id)
        w.join_cluster(session, [article_id], cluster_id)
        members = q.cluster_members(session, cluster_id)
        w.name_truth(session, cluster_id, min(members, key=self._truth_rank).id)

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
        w.upsert_fetch_states(
            session, _fetch_rows(fetched, self.now(), body_hash, relevant, article_id)
        )

    @_one_at_a_time
    def settle_flags(self, tally: Tally) -> None:
        """Bring the flags up to date with everything recorded since the last call."""
        if self.ledger is None:
            return
        with self.store.session() as session:
            tally.created_flags.extend(self.ledger.flush(session, self.now()))

    def _settle_batched(
        self, fetched: Fetched, body_hash: str | None, known: KnownUrl, tally: Tally | None
    ) -> Outcome | None:
        """settle_unchanged from what the crawl read at its start, written with the batch."""
        if body_hash is not None and known.content_hash != body_hash:
            return None
        stamp = self.now()
        row: w.FetchRow = {
            "url_key": url_key(fetched.final_url),
            "url": fetched.final_url,
            "last_status": fetched.status,
            "last_fetched": stamp,
            "content_hash": known.content_hash,
            "relevant": known.relevant,
            "article_id": known.article_id,
            "error": None,
        }
        if fetched.status != 304:  # a 304 keeps the validators it answered
            row |= {"etag": fetched.etag, "last_modified": fetched.last_modified}
        outcome = Outcome.UNCHANGED if known.relevant is not False else Outcome.SKIPPED
        if outcome is Outcome.SKIPPED and tally is not None:
            tally.skip(fetched.final_url, NOT_RELEVANT, count=False)
        self._batch.add(Settled(fetched.final_url, row, known.article_id, stamp, outcome))
        self._flush_if_due()
        return outcome

    def _flush_if_due(self) -> None:
        batch = self._batch
        if len(batch.pages) >= UNCHANGED_BATCH or (
            batch.pages and time.monotonic() - batch.started >= UNCHANGED_SECONDS
        ):
            self.flush_unchanged()

    @_one_at_a_time
    def flush_unchanged(self) -> None:
        """Write the batch of unchanged pages in one transaction, with their run's counters.

        Called before the run's record is finished. A crash before it loses only these
        pages' `last_seen` moves and their counts together, never a stored page; the next
        crawl settles them again. If the database refuses the batch, each page is written
        alone, and one it refuses again is a counted error naming its URL.
        """
        batch, self._batch = self._batch, UnchangedBatch()
        if not batch.pages:
            return
        try:
            with self.store.session() as session:
                batch.write(session, self.run_id)
        except WriteRefused:
            for page in batch.pages:
                one = UnchangedBatch([page])
                try:
                    with self.store.session() as session:
                        one.write(session, self.run_id)
                except WriteRefused as exc:
                    self._refused(page, f"not stored: {exc}")

    def _refused(self, page: Settled, reason: str) -> None:
        """An unchanged page the database would not record: an error, not an outcome.

        Its fetch state is marked failed when the database lets us, so the next crawl
        asks for the page afresh; the error is counted either way.
        """
        if self.tally is not None:
            if page.outcome is not None:
                self.tally.counts[page.outcome] -= 1
            self.tally.error(page.url, reason)
        with contextlib.suppress(WriteRefused):
            self.remember_error(page.url, None, reason)

    @_one_at_a_time
    def touch(self, url: str, known: KnownUrl | None = None) -> None:
        """A page the sitemap says is unchanged: only its article's last_seen moves.

        With `known` (what the crawl read of it at its start), the move joins the batch.
        """
        if known is not None:
            if known.article_id is not None:
                self._batch.add(Settled(url, None, known.article_id, self.now(), None))
                self._flush_if_due()
            return
        with self.store.session() as session:
            state = q.fetch_state(session, url_key(url))
            if state is not None and state.article_id is not None:
                w.touch_article(session, state.article_id, self.now())

    @_one_at_a_time
    def remember_error(
        self, url: str, status: int | None, reason: str, counter: str = "errors"
    ) -> None:
        """Note a failed URL so that listings count it as known (and the run, its failure)."""
        with self.store.session() as session:
            if self.run_id is not None:
                w.count_run(session, self.run_id, {counter: 1})
            w.upsert_fetch_state(
                session,
                url_key(url),
                url,
                last_status=status,
                last_fetched=self.now(),
                error=reason,
            )
