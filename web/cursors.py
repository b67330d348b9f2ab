"""The `after` cursors of paged listings, read from a request: a bad one is a 400."""

from __future__ import annotations

from fastapi import HTTPException

from store.paging import Cursor


def page_cursor(value: str | None) -> Cursor | None:
    """A listing's cursor (date~id, or a relevance offset); None for the first page."""
    try:
        return Cursor.parse(value) if value else None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


def history_cursor(value: str | None) -> Cursor | None:
    """A metric history's cursor (as-of date and id); a relevance offset is none."""
    cursor = page_cursor(value)
    if cursor is not None and cursor.day is None:
        raise HTTPException(400, f"cursor {value!r}: a metric's history pages by date~id")
    return cursor
