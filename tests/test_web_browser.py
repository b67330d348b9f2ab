"""The web app end to end in a real headless browser (Debian's chromium, driven by Playwright)
against a real `pressmon serve` on 127.0.0.1: search, read, chart, review, hostile titles.

Screenshots of each page go to test-artifacts/; the first screen of those the README shows
(the digest, the flag queue) also to docs/screenshots/. Outside CI the tests skip when
/usr/bin/chromium is missing; in CI (the CI variable set) they always run.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, Cli
from tests.test_web import XSS_TITLE, XSS_URL, crawl_with_hostile_article

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 30

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        "no /usr/bin/chromium (apt-get install -y chromium); CI always runs these",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    cli = crawl_with_hostile_article(tmp_path_factory.mktemp("browser"))
    cli("digest", "--send")  # to the test config's folder channel; the web app shows it
    return cli


@pytest.fixture(scope="module")
def base_url(crawled: Cli) -> Iterator[str]:
    """`pressmon serve --port 0` as a user runs it; its first line says where it listens."""
    env = {
        **os.environ,
        "PRESSMON_CONFIG": str(crawled.config),
        "PRESSMON_DB": crawled.db_url,
    }
    env.pop("PRESSMON_WEB_TOKEN", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "pressmon", "serve", "--port", "0"],
        cwd=crawled.cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(server.stdout.readline()), daemon=True).start()
    try:
        first = lines.get(timeout=START_TIMEOUT)
    except queue.Empty:
        server.kill()
        pytest.fail(f"pressmon serve printed nothing in {START_TIMEOUT} s")
    if "http://" not in first:
        server.kill()
        pytest.fail(f"pressmon serve did not start: {first}{server.stderr.read()}")
    url = first.split()[first.split().index("at") + 1].rstrip("/")
    yield url
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    server.stdout.close()
    server.stderr.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, base_url: str):
    context = browser.new_context(base_url=base_url, viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened.dialogs = dialogs
    yield opened
    context.close()


def shot(page, name: str, keep: bool = False) -> None:
    """The whole page into test-artifacts/; with `keep`, its first screen into docs/screenshots/
    too, where the README shows it."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if keep:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _search_and_open(page, query: str, name: str) -> str:
    page.goto("/articles")
    page.fill("input[name=q]", query)
    page.click("form.filters button[type=submit]")
    page.wait_for_url(lambda url: "q=" in url)
    results = page.locator("table.articles a.title")
    assert results.count() > 0
    assert page.locator(".snippet mark").first.inner_text() == query
    assert page.locator("select[name=order]").input_value() == "newest"  # the default order
    shot(page, f"search-{name}")
    if name == "en":
        shot(page, "articles", keep=True)  # the README's: a search with its order selector
    title = results.first.inner_text()
    results.first.click()
    page.wait_for_url(lambda url: "/articles/" in url)
    assert page.locator("h1.article-title").inner_text() == title
    shot(page, f"article-{name}")
    return title


def test_search_in_english_and_open_an_article(page) -> None:
    title = _search_and_open(page, "unicorns", "en")
    assert title


def test_search_in_chinese_and_open_an_article(page) -> None:
    title = _search_and_open(page, "科學園", "zh")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in title)


def test_a_metric_page_draws_its_history(page) -> None:
    page.goto("/figures")
    page.locator('a[href^="/figures/companies?"]').first.click()
    page.wait_for_url(lambda url: "/figures/companies" in url)
    chart = page.locator("svg.chart").first
    assert chart.is_visible()
    assert chart.locator("circle.point").count() >= 5
    assert chart.locator("polyline.line").count() == 1
    shot(page, "metric-companies")
    shot(page, "metric", keep=True)  # the README's


def _queue_count(page) -> int:
    return int(page.locator(".queue-count").inner_text().split()[0])


def test_accepting_a_flag_takes_it_off_the_queue(page) -> None:
    page.goto("/flags")
    row = page.locator("tr.flag").first
    flag_row_id = row.get_attribute("id")
    before = _queue_count(page)
    page.locator(".toolbar input[name=note]").fill("checked against the annual report")
    page.locator(".toolbar input[name=by]").fill("browser-test")
    with page.expect_navigation():
        row.locator("button.accept").click()
    assert page.locator(f"#{flag_row_id}").count() == 0
    assert _queue_count(page) == before - 1
    trail = page.locator("table.trail")
    assert "checked against the annual report" in trail.inner_text()
    assert "browser-test" in trail.inner_text()
    shot(page, "flags-after-accept")


def test_the_queue_pages_fits_the_page_and_shows_each_sentence(page) -> None:
    page.goto("/flags")
    rows = page.locator("tr.flag")
    assert 0 < rows.count() <= 25 < _queue_count(page)
    assert rows.first.locator(".sentence mark").count() == 1
    fits = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    assert page.evaluate(fits), "the queue is wider than the page"
    shot(page, "flags-queue")
    first_ids = [rows.nth(i).get_attribute("id") for i in range(rows.count())]
    with page.expect_navigation():
        page.locator("a.next").click()
    following = page.locator("tr.flag")
    assert following.count() > 0
    assert not {following.nth(i).get_attribute("id") for i in range(following.count())} & set(
        first_ids
    )


def test_several_flags_are_accepted_at_once_and_the_reviewer_is_remembered(page) -> None:
    page.goto("/flags?kind=new")
    rows = page.locator("tr.flag")
    chosen = [rows.nth(i).get_attribute("id") for i in range(3)]
    before = _queue_count(page)
    for row_id in chosen:
        page.locator(f"#{row_id} input[name=flag]").check()
    page.locator(".toolbar input[name=note]").fill("first statements, checked")
    page.locator(".toolbar input[name=by]").fill("Chan Tai-man")
    shot(page, "flags", keep=True)
    with page.expect_navigation():
        page.locator(".toolbar button.accept").click()
    assert _queue_count(page) == before - 3
    assert all(page.locator(f"#{row_id}").count() == 0 for row_id in chosen)
    assert page.locator("table.trail").inner_text().count("Chan Tai-man") == 3
    page.goto("/flags")  # a later visit: the name is filled in
    assert page.locator(".toolbar input[name=by]").input_value() == "Chan Tai-man"


def test_the_digest_reads_as_figures_labels_dates_and_titles(page) -> None:
    page.goto("/")
    table = page.locator("table.digest-flags")
    assert table.count() == 1
    text = table.inner_text()
    assert "e+" not in text and "_" not in text  # no 9.292e+10, no metric ids
    changes = [c for c in page.locator("td.change").all_inner_texts() if c]
    assert changes and all(c[0] in "+−±" for c in changes)
    assert any("billion" in c for c in changes) and any("," in c for c in changes)
    assert "http" not in page.locator("table.digest-flags td:last-child").first.inner_text()
    assert "UTC" in page.locator("main p.muted").first.inner_text()
    shot(page, "digest", keep=True)


def test_a_hostile_title_shows_as_text_and_runs_nothing(page, base_url: str) -> None:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{base_url}/api/articles?limit=1000", timeout=10) as response:
        hostile = next(a for a in json.load(response) if a["url"] == XSS_URL)
    page.goto("/articles")
    assert page.get_by_text(XSS_TITLE, exact=True).count() == 1
    page.goto(f"/articles/{hostile['id']}")
    assert page.locator("h1.article-title").inner_text() == XSS_TITLE
    assert page.locator("main script, main img").count() == 0
    page.wait_for_load_state("load")
    shot(page, "article-hostile")
    assert page.dialogs == []
