"""The closed vocabularies of the store: every state and kind a column may hold.

Typed as `Literal`s for callers and enforced by CHECK constraints in the tables
(`store.models`), so a misspelt state fails at the write instead of vanishing from
every query that filters on the right spelling.
"""

from __future__ import annotations

from typing import Literal, get_args

SourceKind = Literal["feed", "sitemap", "listing", "search"]
RunStatus = Literal["running", "ok", "errors", "failed", "stopped", "timeout", "killed"]
ReviewState = Literal["new"]
# an article with text, or a news-search headline whose link could not be resolved
ArticleKind = Literal["article", "headline"]
Qualifier = Literal["exact", "at_least", "at_most", "about"]
Unit = Literal["count", "HKD", "USD", "RMB", "sqm", "sqft", "ha", "percent"]
FlagKind = Literal["new", "changed", "conflict", "outdated"]
FlagState = Literal["open", "accepted", "dismissed"]
ReviewDecision = Literal["accepted", "dismissed"]
ChannelName = Literal["folder", "email", "webhook"]
DeliveryStatus = Literal["pending", "sent", "failed"]

# A crawl run's counters (crawl_run columns), in the order the summary shows them: feed
# items first, then what became of the pages.
RUN_COUNTS = (
    "items",
    "resolved",
    "headlines",
    "pages",
    "new",
    "revised",
    "unchanged",
    "skipped",
    "errors",
    "broken",
)
NOT_RELEVANT = "not relevant"  # the skip reason of a page that does not concern the watch
BROKEN_LINK = "broken link"  # how a crawl problem that is a dead navigation link starts


def values(vocabulary: object) -> tuple[str, ...]:
    """The strings a `Literal` vocabulary allows, in their declared order."""
    return get_args(vocabulary)


def one_of(column: str, vocabulary: object) -> str:
    """A CHECK constraint's SQL text: `column` holds one of the vocabulary's strings."""
    allowed = ", ".join(f"'{v}'" for v in values(vocabulary))
    return f"{column} IN ({allowed})"
