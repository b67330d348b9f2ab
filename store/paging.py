"""Pages of articles: the filters a listing takes, where its next page starts, and a page.

Listings and newest-first search page by keyset on (day, id), `day` being the date an
article is listed under (store.models.listed_day): the next page starts after the last
row shown, so a page costs the same however deep it is, and rows stored meanwhile never
shift a page. Relevance-ordered search ranks a bounded set of candidates, so its pages
are offsets into that ranking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import Date, Select, literal

from store.models import Article, listed_day

T = TypeVar("T")
SearchOrder = Literal["newest", "relevance"]
SEARCH_ORDERS: tuple[SearchOrder, ...] = ("newest", "relevance")

_KEYSET = re.compile(r"^(\d{4}-\d{2}-\d{2})~(\d{1,18})$")
_OFFSET = re.compile(r"^\+(\d{1,9})$")


@dataclass(frozen=True)
class ArticleFilters:
    """What a listing or a search can be narrowed by; all of it goes into the WHERE clause."""

    since: date | None = None  # listed on or after (published, else first seen)
    until: date | None = None  # listed on or before
    source: str | None = None
    language: str | None = None
    cluster: int | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a next page starts: after the row (day, id), newest first; or at `offset` of a
    relevance ranking. Written as `2024-07-19~1234` or `+40` in links and `--after`."""

    day: date | None = None
    id: int = 0
    offset: int = 0

    def __str__(self) -> str:
        return f"{self.day.isoformat()}~{self.id}" if self.day else f"+{self.offset}"

    @classmethod
    def parse(cls, value: str) -> Cursor:
        """A cursor as a next link wrote it; ValueError with one line naming it otherwise."""
        keyset, offset = _KEYSET.match(value.strip()), _OFFSET.match(value.strip())
        try:
            if keyset:
                return cls(day=date.fromisoformat(keyset[1]), id=int(keyset[2]))
            if offset:
                return cls(offset=int(offset[1]))
        except ValueError:
            pass
        raise ValueError(
            f"cursor {value!r}: expected one a next-page link gave, like 2024-07-19~1234 or +40"
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows and where the next one starts (None: this is the last)."""

    items: list[T]
    next: Cursor | None


def past_cursor(query: Select[Any], cursor: Cursor | None) -> Select[Any]:
    """Rows after `cursor` in (day, id) newest-first order. Written as a range on the day
    plus a tie-break, so an index seeks to the cursor instead of scanning down to it."""
    if cursor is None or cursor.day is None:
        return query
    day = literal(cursor.day, Date())
    return query.where(listed_day <= day, (listed_day < day) | (Article.id < cursor.id))


def newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(listed_day.desc(), Article.id.desc())


def keyset(
    query: Select[Any], day: Any, key: Any, cursor: Cursor | None, *, descending: bool
) -> Select[Any]:
    """`query` ordered by (day, key), ascending or descending, from past `cursor` on: the
    same seek as `past_cursor`, for any table with a date and an id."""
    if cursor is not None and cursor.day is not None:
        at = literal(cursor.day, Date())
        if descending:
            query = query.where(day <= at, (day < at) | (key < cursor.id))
        else:
            query = query.where(day >= at, (day > at) | (key > cursor.id))
    return query.order_by(day.desc(), key.desc()) if descending else query.order_by(day, key)
