"""The tables: sources, per-URL fetch state, articles and their versions, crawl runs,
figure mentions and their flags.

A changed page is a new `ArticleVersion`, never an overwrite; the newest version
is the article's current text. Figures are stored as exact decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeEngine

from store.kinds import (
    ArticleKind,
    ChannelName,
    DeliveryStatus,
    FlagKind,
    FlagState,
    Qualifier,
    ReviewDecision,
    ReviewState,
    RunStatus,
    SourceKind,
    Unit,
    one_of,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal that round-trips exactly: NUMERIC where the database has it, text in SQLite."""

    impl = Numeric(38, 10)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(60))
        return dialect.type_descriptor(Numeric(38, 10))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return str(Decimal(value))

    def process_result_value(self, value: Any | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Source(Base):
    """A configured source as last seen in config.yaml."""

    __tablename__ = "source"
    __table_args__ = (CheckConstraint(one_of("kind", SourceKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[SourceKind] = mapped_column(String(20))
    start_urls: Mapped[list[str]] = mapped_column(JSON)
    schedule: Mapped[dict] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class FetchState(Base):
    """What we know of one URL: it drives conditional, incremental fetching."""

    __tablename__ = "fetch_state"

    url_key: Mapped[str] = mapped_column(String(2000), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_fetched: Mapped[datetime | None] = mapped_column(DateTime)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    relevant: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("article.id"), index=True)


class Cluster(Base):
    """Syndicated copies of one release; `truth` is the copy to cite."""

    __tablename__ = "cluster"

    id: Mapped[int] = mapped_column(primary_key=True)
    truth_id: Mapped[int | None] = mapped_column(
        ForeignKey("article.id", use_alter=True, ondelete="SET NULL")
    )
    created: Mapped[datetime] = mapped_column(DateTime)


class Article(Base):
    """One page about the watched organisation, under its canonical URL."""

    __tablename__ = "article"
    __table_args__ = (
        CheckConstraint(one_of("review_state", ReviewState), name="review_state"),
        CheckConstraint(one_of("kind", ArticleKind), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    url_key: Mapped[str] = mapped_column(String(2000), unique=True)
    url: Mapped[str] = mapped_column(Text)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id"), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    sitename: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date, index=True)
    language: Mapped[str] = mapped_column(String(16), index=True)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    relevance: Mapped[float] = mapped_column(Float)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("cluster.id", ondelete="SET NULL"), index=True
    )
    review_state: Mapped[ReviewState] = mapped_column(String(20), default="new")
    # "headline": only a news-search item (title, publisher, date, link) was had; its text is
    # the title until the article itself is fetched and upgrades it in place
    kind: Mapped[ArticleKind] = mapped_column(
        String(10), default="article", server_default="article"
    )
    publisher_site: Mapped[str | None] = mapped_column(Text)  # a headline's <source url>

    source: Mapped[Source | None] = relationship()
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", order_by="ArticleVersion.number", cascade="all, delete-orphan"
    )
    cluster: Mapped[Cluster | None] = relationship(foreign_keys=[cluster_id])


# The day an article is listed under: its publication date, else the day it was first seen.
# Listings and newest-first search order by (day, id) through the index below.
listed_day = func.coalesce(Article.published, func.date(Article.first_seen))
Index("ix_article_day_id", listed_day, Article.id)
# a filter on language or source walks its own rows newest first, never sorts them all
Index("ix_article_language_day_id", Article.language, listed_day, Article.id)
Index("ix_article_source_day_id", Article.source_id, listed_day, Article.id)


class ArticleVersion(Base):
    """The clean text of an article as fetched at one time."""

    __tablename__ = "article_version"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary)

    article: Mapped[Article] = relationship(back_populates="versions")


class CrawlRun(Base):
    """One crawl of one source: what it did and how it ended."""

    __tablename__ = "crawl_run"
    __table_args__ = (CheckConstraint(one_of("status", RunStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    started: Mapped[datetime] = mapped_column(DateTime)
    finished: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[RunStatus] = mapped_column(String(20), default="running")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    revised: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    broken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # dead nav links
    # feed items: seen, whose wrapper link was decoded or redirected, kept as headlines
    items: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    resolved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    headlines: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error_text: Mapped[str | None] = mapped_column(Text)

    problems: Mapped[list[CrawlError]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="CrawlError.id"
    )
    skips: Mapped[list[CrawlSkip]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="CrawlSkip.id"
    )


class Lease(Base):
    """A named job only one process may do at a time: a source's crawl, a store's scheduler.

    The holder renews `heartbeat` while it works; a lease whose heartbeat is older than the
    reader's timeout is stale, and its holder is taken for dead (killed, or its machine gone).
    """

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired: Mapped[datetime] = mapped_column(DateTime)
    heartbeat: Mapped[datetime] = mapped_column(DateTime)


class CrawlError(Base):
    """One counted failure of a crawl: which URL, and why."""

    __tablename__ = "crawl_error"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)

    run: Mapped[CrawlRun] = relationship(back_populates="problems")


class CrawlSkip(Base):
    """One item a crawl passed over on purpose: which URL, and why (not an error)."""

    __tablename__ = "crawl_skip"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)

    run: Mapped[CrawlRun] = relationship(back_populates="skips")


class FigureMention(Base):
    """A figure an article version states (see figures.model.Mention)."""

    __tablename__ = "figure_mention"
    __table_args__ = (
        UniqueConstraint("version_id", "subject", "metric", "value", "qualifier", "unit"),
        # An index on a true/false column alone makes SQLite scan every current mention.
        Index("ix_figure_mention_article_current", "article_id", "current"),
        CheckConstraint(one_of("qualifier", Qualifier), name="qualifier"),
        CheckConstraint(one_of("unit", Unit), name="unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("article_version.id", ondelete="CASCADE"), index=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str] = mapped_column(String(200), index=True)
    metric: Mapped[str] = mapped_column(String(100), index=True)
    value: Mapped[Decimal] = mapped_column(ExactDecimal)
    qualifier: Mapped[Qualifier] = mapped_column(String(10))
    low: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    high: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    unit: Mapped[Unit] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    sentence: Mapped[str] = mapped_column(Text)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    current: Mapped[bool] = mapped_column(Boolean, default=True)

    article: Mapped[Article] = relationship()


class Flag(Base):
    """What a mention did to the record: new, changed, conflict or outdated; reviewable."""

    __tablename__ = "flag"
    __table_args__ = (
        UniqueConstraint("mention_id", "kind"),
        CheckConstraint(one_of("kind", FlagKind), name="kind"),
        CheckConstraint(one_of("state", FlagState), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(
        ForeignKey("figure_mention.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[FlagKind] = mapped_column(String(10), index=True)
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("figure_mention.id", ondelete="SET NULL")
    )
    delta: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    percent: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    revision: Mapped[str | None] = mapped_column(Text)  # what the article's previous version said
    created: Mapped[datetime] = mapped_column(DateTime, index=True)
    state: Mapped[FlagState] = mapped_column(String(10), default="open", index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)
    digest_id: Mapped[int | None] = mapped_column(  # the digest it went out in
        ForeignKey("digest.id", ondelete="SET NULL"), index=True
    )

    mention: Mapped[FigureMention] = relationship(foreign_keys=[mention_id])
    previous: Mapped[FigureMention | None] = relationship(foreign_keys=[previous_id])


class FlagReview(Base):
    """The audit trail of a flag: every accept or dismiss, by whom, when and why."""

    __tablename__ = "flag_review"
    __table_args__ = (CheckConstraint(one_of("state", ReviewDecision), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flag.id", ondelete="CASCADE"), index=True)
    state: Mapped[ReviewDecision] = mapped_column(String(10))
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)


class Digest(Base):
    """One digest: the period it covers and what it contained (its JSON form)."""

    __tablename__ = "digest"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[datetime | None] = mapped_column(DateTime)
    period_end: Mapped[datetime] = mapped_column(DateTime, index=True)
    created: Mapped[datetime] = mapped_column(DateTime)
    content: Mapped[dict] = mapped_column(JSON)

    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="digest", cascade="all, delete-orphan", order_by="Delivery.id"
    )


class Delivery(Base):
    """Where a digest went (or must still go): a folder, an e-mail address, a webhook."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("digest_id", "channel", "target"),
        CheckConstraint(one_of("channel", ChannelName), name="channel"),
        CheckConstraint(one_of("status", DeliveryStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digest.id", ondelete="CASCADE"), index=True)
    channel: Mapped[ChannelName] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    digest: Mapped[Digest] = relationship(back_populates="deliveries")
