"""The sample newsroom behaves like the sources the crawl tests and the demo rely on."""

from __future__ import annotations

import contextlib
import html
import http.client
import re
import threading
import time
import zlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import feedparser
import pytest
import yaml
from lxml import etree

from crawler.pdf import read_pdf
from samplesite import SampleSite, pages, sample_config

GITEX = "/hkstp/news/2025/gitex-global-dubai/"
PAPER = "/gov/papers/2024/cb4-312-2024-05-e.pdf"
MOVED_OLD = "/gov/press/2020/03/17/P2020031700451.htm"
MOVED_NEW = "/gov/archive/2020/03/P2020031700451.htm"


def fetch(site: SampleSite, path: str, headers: dict[str, str] | None = None, limit: int = -1):
    """GET without following redirects; returns (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=20)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read() if limit < 0 else resp.read(limit)
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


@pytest.fixture
def site() -> Iterator[SampleSite]:
    with SampleSite() as running:
        yield running


def test_every_manifest_page_is_served_with_its_title(site: SampleSite) -> None:
    for edition in (1, 2):
        site.edition = edition
        for page in pages(edition):
            status, headers, body = fetch(site, page.path)
            assert status == 200, page.path
            if page.pdf:
                assert body.startswith(b"%PDF-"), page.path
                assert read_pdf(body, page.path).title == page.title
                continue
            encoding = "utf-8" if "charset=utf-8" in headers["content-type"] else "big5"
            text = html.unescape(body.decode(encoding))
            assert '<html lang="' in text
            assert f"<title>{page.title}" in text


def test_manifest_covers_the_content_plan() -> None:
    one, two = pages(1), pages(2)
    every = {p.path: p for p in one + two}
    assert len(every) >= 25
    assert sum(p.language == "zh" for p in every.values()) >= 6
    assert [p.path for p in every.values() if p.published is None] == [
        "/blog/inside-hkstp-a-guide/"
    ]
    assert len({p.path for p in two} - {p.path for p in one}) >= 5  # 4+ new, 1 moved
    assert [p.path for p in two if p.revised] == [GITEX, PAPER]
    copies = [p for p in one if p.syndication == "hkstp-20"]
    assert sorted(p.site for p in copies) == ["news", "newsroom", "wire"]
    assert len({p.published for p in copies}) == 1
    config = yaml.safe_load(sample_config("http://127.0.0.1:9"))
    names = {s["name"] for s in config["sources"]}
    assert all(p.discovered_by and set(p.discovered_by) <= names for p in every.values())


def test_irrelevant_pages_never_name_hong_kong(site: SampleSite) -> None:
    others = [p for p in pages(2) if not p.relevant]
    assert len(others) >= 3
    for page in others:
        text = fetch(site, page.path)[2].decode("utf-8")
        assert "Science Park" in text
        assert not re.search(r"Hong Kong|HKSTP|香港", text), page.path


def test_edition_two_revises_adds_and_moves(site: SampleSite) -> None:
    first = fetch(site, GITEX)[2]
    assert b"2,300 park companies" in first
    new_page = "/hkstp/news/2025/fii9-riyadh-delegation/"
    assert fetch(site, new_page)[0] == 404
    assert fetch(site, MOVED_NEW)[0] == 404

    site.edition = 2
    second = fetch(site, GITEX)[2]
    assert b"2,400 park companies" in second and b"2,300" not in second
    assert fetch(site, new_page)[0] == 200
    status, headers, _ = fetch(site, MOVED_OLD)
    assert status == 301 and headers["location"] == site.base_url + MOVED_NEW
    listing = fetch(site, "/hkstp/news/")[2].decode()
    assert new_page in listing and 'rel="next"' in listing


def test_conditional_get_answers_304_until_the_page_changes(site: SampleSite) -> None:
    for path in (GITEX, "/blog/atom.xml", "/sitemap.xml", "/hkstp/news/"):
        _, headers, _ = fetch(site, path)
        assert fetch(site, path, {"If-None-Match": headers["etag"]})[0] == 304, path
        since = {"If-Modified-Since": headers["last-modified"]}
        assert fetch(site, path, since)[0] == 304, path
    _, before, _ = fetch(site, GITEX)
    site.edition = 2
    assert fetch(site, GITEX, {"If-None-Match": before["etag"]})[0] == 200
    assert fetch(site, GITEX, {"If-Modified-Since": before["last-modified"]})[0] == 200


def test_a_keep_alive_site_answers_requests_one_after_another_on_one_connection() -> None:
    """How the benchmarks serve their sites, as news sites do: one connection carries
    answers with bodies, a 304 without one and a 404. The sample newsroom itself answers
    one request per connection."""

    def get(connection: http.client.HTTPConnection, path: str, etag: str | None = None) -> tuple:
        connection.request("GET", path, headers={"If-None-Match": etag} if etag else {})
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("ETag"), response.will_close

    with SampleSite(keep_alive=True) as site:
        connection = http.client.HTTPConnection(site.host, site.port, timeout=5)
        try:
            status, etag, closes = get(connection, "/sitemap.xml")
            answers = [(status, closes), get(connection, "/sitemap.xml", etag)[::2]]
            answers += [get(connection, path)[::2] for path in ("/hkstp/news/", "/nosuch")]
        finally:
            connection.close()
        assert answers == [(200, False), (304, False), (200, False), (404, False)]
        assert len(site.requests) == 4
    with SampleSite() as site:
        connection = http.client.HTTPConnection(site.host, site.port, timeout=5)
        try:
            assert get(connection, "/robots.txt")[::2] == (200, True)
        finally:
            connection.close()


def test_wire_feed_keeps_a_stale_etag_and_ignores_it(site: SampleSite) -> None:
    _, headers, body = fetch(site, "/wire/rss.xml")
    site.edition = 2
    status, later, body2 = fetch(site, "/wire/rss.xml", {"If-None-Match": headers["etag"]})
    assert status == 200 and later["etag"] == headers["etag"]
    assert len(feedparser.parse(body2).entries) > len(feedparser.parse(body).entries)


def test_robots_disallows_private_and_a_feed_links_there(site: SampleSite) -> None:
    robots = fetch(site, "/robots.txt")[2].decode()
    assert "User-agent: *" in robots and "Disallow: /private/" in robots
    assert f"Sitemap: {site.base_url}/sitemap.xml" in robots
    links = [e.link for e in feedparser.parse(fetch(site, "/blog/atom.xml")[2]).entries]
    private = [u for u in links if urlsplit(u).path.startswith("/private/")]
    assert private and fetch(site, urlsplit(private[0]).path)[0] == 200


def test_sitemap_index_leads_to_a_news_sitemap(site: SampleSite) -> None:
    ns = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "n": "http://www.google.com/schemas/sitemap-news/0.9",
    }
    index = etree.fromstring(fetch(site, "/sitemap.xml")[2])
    maps = [urlsplit(loc).path for loc in index.xpath("//s:sitemap/s:loc/text()", namespaces=ns)]
    assert maps == ["/gov/sitemap.xml", "/news/news-sitemap.xml"]
    news = etree.fromstring(fetch(site, "/news/news-sitemap.xml")[2])
    urls = news.xpath("//s:url", namespaces=ns)
    assert urls and all(u.xpath("n:news/n:publication/n:name", namespaces=ns) for u in urls)
    assert {u.xpath("string(n:news/n:publication/n:language)", namespaces=ns) for u in urls} >= {
        "en",
        "zh-tw",
        "zh-cn",
    }
    search = feedparser.parse(fetch(site, "/search/rss?q=HKSTP")[2]).entries
    assert {urlsplit(e.link).path.split("/")[1] for e in search} == {"news", "blog"}


def test_big5_page_declares_no_charset(site: SampleSite) -> None:
    page = next(p for p in pages(1) if p.path.startswith("/news/zh/2022/"))
    for path in (page.path, "/bad/big5.html"):
        status, headers, body = fetch(site, path)
        assert status == 200 and headers["content-type"] == "text/html"
        assert b"charset" not in body.lower()
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        assert "香港科技園公司" in body.decode("big5")


def test_bad_endpoints_misbehave_as_documented(site: SampleSite) -> None:
    feed = feedparser.parse(fetch(site, "/bad/feed.xml")[2])
    assert not feed.bozo and len(feed.entries) == 13
    assert feedparser.parse(fetch(site, "/bad/broken-feed.xml")[2]).bozo
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(fetch(site, "/bad/broken-sitemap.xml")[2])
    assert fetch(site, "/bad/empty.html")[:3:2] == (200, b"")
    assert fetch(site, "/bad/missing.html")[0] == 404
    assert fetch(site, "/bad/error.html")[0] == 500
    assert fetch(site, "/nowhere/")[0] == 404
    truncated = fetch(site, "/bad/truncated.html")[2]
    assert b"HKSTP" in truncated and not truncated.rstrip().endswith(b"</html>")
    status, headers, _ = fetch(site, "/bad/loop.html")
    assert status == 302 and headers["location"].endswith("/bad/loop2.html")
    assert fetch(site, "/bad/loop2.html")[1]["location"].endswith("/bad/loop.html")
    status, headers, head = fetch(site, "/bad/huge.html", limit=6_000_000)
    assert status == 200 and len(head) == 6_000_000 and "content-length" not in headers


def test_gzip_bomb_inflates_past_500_mb(site: SampleSite) -> None:
    status, headers, packed = fetch(site, "/bad/bomb.html")
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert len(packed) < 1_000_000
    inflater, total = zlib.decompressobj(31), 0
    for start in range(0, len(packed), 8192):
        total += len(inflater.decompress(packed[start : start + 8192]))
    assert total >= 500_000_000


def test_slow_page_waits_and_wakes_when_the_server_stops(site: SampleSite) -> None:
    started = time.monotonic()
    assert fetch(site, "/bad/slow.html?seconds=0.3")[0] == 200
    assert time.monotonic() - started >= 0.3

    stopping = SampleSite().start()
    finished = threading.Event()

    def slow() -> None:
        with contextlib.suppress(ConnectionError, http.client.HTTPException):
            fetch(stopping, "/bad/slow.html")  # 30 s unless the server stops
        finished.set()

    threading.Thread(target=slow, daemon=True).start()
    deadline = time.monotonic() + 5
    while stopping.max_in_flight == 0 and time.monotonic() < deadline:
        finished.wait(0.01)
    assert stopping.max_in_flight == 1, "the slow request never arrived"
    started = time.monotonic()
    stopping.stop()
    assert finished.wait(5) and time.monotonic() - started < 2


def test_a_burst_of_connections_is_served_without_a_resent_syn() -> None:
    """A crawl opens its connections together. A listen queue too short for them drops
    SYNs, which clients resend only after a second: a stall a benchmark would charge to
    the crawler. Every one of a burst of 64 is answered well within that second."""
    with SampleSite(keep_alive=True) as site:
        fetch(site, "/robots.txt")  # the site's pages are built on its first request
        started = time.perf_counter()
        waits: list[float] = []

        def robots() -> None:
            fetch(site, "/robots.txt")
            waits.append(time.perf_counter() - started)

        threads = [threading.Thread(target=robots) for _ in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert len(waits) == 64
        assert max(waits) < 0.9, f"slowest of the burst answered after {max(waits):.2f} s"


def test_requests_are_logged_and_concurrency_counted() -> None:
    with SampleSite(delay=0.3) as site:
        threads = [
            threading.Thread(target=fetch, args=(site, "/robots.txt", {"User-Agent": "probe/1"}))
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert len(site.requests) == 4
        assert {(r.path, r.status, r.user_agent) for r in site.requests} == {
            ("/robots.txt", 200, "probe/1")
        }
        assert site.max_in_flight >= 2


def test_sample_config_points_every_source_at_the_site() -> None:
    with SampleSite() as site:
        config = yaml.safe_load(sample_config(site.base_url))
        for source in config["sources"]:
            for url in source["start_urls"]:
                assert url.startswith(site.base_url)
                path = url.removeprefix(site.base_url)
                assert fetch(site, path)[0] == 200, url
    assert [s["kind"] for s in config["sources"]] == [
        "listing",
        "feed",
        "feed",
        "sitemap",
        "search",
        "search",
        "search",
    ]
