"""Which source lists which article, and the site's manifest built from that.

Between `articles` (the data) and `render` (the HTTP resources): `render` serves
feeds, listings and sitemaps from `source_lists`, and `pages()` reads the same
lists, so the manifest that tests and the demo compare a crawl against cannot
drift from what is served.
"""

from __future__ import annotations

from collections import defaultdict

from samplesite.aggregators import decodable
from samplesite.articles import SITES, Article, PageInfo, in_edition


def source_lists(edition: int) -> dict[str, list[tuple[str, Article]]]:
    """What each configured source links to, as (path as linked, article)."""
    live = in_edition(edition)
    return {
        "newsroom": [(a.path_in(edition), a) for a in live if a.site == "newsroom"],
        "wire": [(a.path_in(edition), a) for a in live if a.site == "wire"],
        "blog": [(a.path_in(edition), a) for a in live if a.site in ("blog", "private")],
        # the sitemap keeps listing a moved page's old address; the redirect leads on
        "sitemap": [(a.path, a) for a in live if a.site in ("gov", "news")],
        "search": [(a.path_in(edition), a) for a in live if a.extra.get("search")],
        # news-search feeds with wrapper links (samplesite.aggregators): every url= wrapper
        # and the plain redirect lead to an article; of the opaque Google News style links,
        # only the one old-style id does
        "bing": [(a.path_in(edition), a) for a in live if a.extra.get("search")],
        "gnews": [(decodable(edition).path_in(edition), decodable(edition))],
    }


def discovered(edition: int) -> dict[str, set[str]]:
    """Final article path -> names of the sources whose feed, listing or sitemap links it."""
    found: dict[str, set[str]] = defaultdict(set)
    for source, items in source_lists(edition).items():
        for _, article in items:
            found[article.path_in(edition)].add(source)
    return found


def pages(edition: int) -> list[PageInfo]:
    """Every article page reachable in `edition`, with the sources that link to it."""
    found = discovered(edition)
    return [
        PageInfo(
            path=a.path_in(edition),
            site=a.site,
            title=a.title,
            published=a.published,
            language=a.language,
            relevant=a.relevant,
            syndication=a.syndication,
            revised=edition >= 2 and bool(a.revision),
            discovered_by=tuple(sorted(found.get(a.path_in(edition), ()))),
            figures=a.figures_in(edition),
            pdf=bool(a.extra.get("pdf")),
        )
        for a in in_edition(edition)
        if a.site in SITES
    ]
