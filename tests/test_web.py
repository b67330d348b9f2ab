"""The web app in-process (FastAPI's TestClient) over a crawled sample-newsroom store:
every page renders, the API keeps the CLI's JSON shapes, state changes need a CSRF
token, a token guards any bind off loopback, and hostile article text stays inert."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from html import escape, unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from pressmon.config import load_config
from pressmon.web_cli import web_app
from store import Store
from store import queries as q
from store.models import Digest, FlagReview
from store.records import article_record, flag_record
from tests.conftest import Cli, crawl_sample, database_url
from web.access import is_loopback, require_token
from web.errors import AccessError
from web.templating import link

XSS_TITLE = "<img src=x onerror=alert(1)><script>alert(1)</script>"
XSS_URL = "https://blog.example.org/2024/hkstp-xss/"
XSS_TEXT = (
    "HKSTP says Hong Kong Science Park now hosts more than 1,800 companies.\n"
    '<script>alert("text")</script> and <img src=x onerror=alert(2)> are not markup here.\n'
    "Hong Kong Science and Technology Parks Corporation runs the park.\n"
)


def crawl_with_hostile_article(tmp: Path) -> Cli:
    """Both editions of the sample newsroom plus one hostile article, in one store."""
    cli = crawl_sample(tmp)
    hostile = tmp / "hostile.txt"
    hostile.write_text(XSS_TEXT, encoding="utf-8")
    cli("ingest", str(hostile), "--url", XSS_URL, "--title", XSS_TITLE, "--published", "2024-12-01")
    return cli


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return crawl_with_hostile_article(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def client(crawled: Cli) -> Iterator[TestClient]:
    store = Store(crawled.db_url)
    app = web_app(store, load_config(crawled.config), allowed_hosts=["127.0.0.1"])
    with TestClient(app, base_url="http://127.0.0.1") as running:
        yield running
    store.close()


def _open_flag(client: TestClient) -> dict:
    return client.get("/api/flags", params={"state": "open", "kind": "changed"}).json()[0]


# -- every page -------------------------------------------------------------------------------
def test_every_page_renders_on_a_crawled_store(client: TestClient) -> None:
    articles = client.get("/api/articles", params={"limit": 1000}).json()
    flags = client.get("/api/flags").json()
    metrics = {f["metric"] for f in flags}
    paths = [
        "/",
        "/digests",
        "/articles",
        "/articles?q=unicorns&lang=en&since=2020-01-01&until=2025-12-31",
        "/figures",
        "/flags",
        "/flags?state=all&kind=changed",
        *(f"/articles/{a['id']}" for a in articles),
        *(f"/figures/{m}" for m in metrics),
        *(f"/flags/{f['id']}" for f in flags[:10]),
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html"), path
    assert len(articles) > 20 and len(metrics) > 5


def test_an_empty_store_shows_empty_states(tmp_path: Path, crawled: Cli) -> None:
    store = Store(database_url(tmp_path, "empty"))
    with TestClient(web_app(store, load_config(crawled.config))) as empty:
        assert "No digest has been made yet" in empty.get("/").text
        assert "No article matches" in empty.get("/articles").text
        assert "No statement of Companies on record" in empty.get("/figures/companies").text
        assert "No open flags" in empty.get("/flags").text
        assert empty.get("/api/digests/latest").status_code == 404
        assert empty.get("/articles/1").status_code == 404
    store.close()


def test_the_latest_digest_is_rendered_from_what_is_stored(
    client: TestClient, crawled: Cli
) -> None:
    store = crawled.store()
    with store.session() as s:
        flag = q.list_flags(s, kind="changed")[0]
        source = (flag.mention.article_id, flag.mention.article.title, flag.mention.article.url)
        articles = q.list_articles(s, limit=3)
        money = flag_record(flag) | {
            "metric": "funds_raised",
            "unit": "HKD",
            "value": 93_700_000_000,
            "delta": 92_920_000_000,
            "percent": 11912.8,
        }
        count = flag_record(flag) | {"metric": "incubation_graduates", "delta": 3000}
        content = {
            "period": {"start": "2025-11-01T00:00:00", "end": "2025-11-08T00:00:00"},
            "flags": [money, count],
            "articles": [article_record(a) for a in articles[:2]],
            "revised": [article_record(articles[2])],
        }
        for end in (datetime(2025, 11, 1), datetime(2025, 11, 8)):
            s.add(Digest(period_end=end, created=end, content=content | {"period": str(end)}))
        s.add(
            Digest(
                period_end=datetime(2025, 11, 15), created=datetime(2025, 11, 15), content=content
            )
        )
    store.close()
    page = client.get("/").text
    assert "Latest digest" in page
    assert "Nov 1, 2025, 00:00 UTC – Nov 8, 2025, 00:00 UTC" in page  # no raw ISO period
    for a in articles:
        assert f'href="/articles/{a.id}"' in page
    assert flag.mention.text in page
    # grouped digits and scale words, never 9.292e+10 or +3000
    assert "HK$93.7 billion" in page and "+HK$92.9 billion (+11,912.8%)" in page
    assert "+3,000" in page and "e+10" not in page and "+3000" not in page
    # labels where metric ids were, the article's title where its URL was
    assert ">Funds raised by park companies, to date<" in page
    assert ">Incubation graduates in the year<" in page
    assert ">incubation_graduates<" not in page
    assert f'<a href="/articles/{source[0]}">{escape(source[1])}</a>' in page
    assert f">{source[2]}<" not in page
    listing = client.get("/digests").text
    assert listing.count('href="/digests/') == 3
    assert "the beginning – Nov 15, 2025, 00:00 UTC" in listing and "T00:00" not in listing
    latest = client.get("/api/digests/latest").json()
    assert latest["content"] == content and latest["period_end"] == "2025-11-15T00:00:00"


# -- articles ---------------------------------------------------------------------------------
def test_search_in_english_and_chinese(client: TestClient) -> None:
    english = client.get("/api/articles", params={"q": "unicorns"}).json()
    assert english and all(a["language"] == "en" for a in english)
    assert all("snippet" in a for a in english)
    chinese = client.get("/api/articles", params={"q": "科學園"}).json()
    assert chinese and {a["language"] for a in chinese} == {"zh"}
    page = client.get("/articles", params={"q": "科學園"}).text
    assert "<mark>科學園</mark>" in page
    for a in chinese:
        assert f'href="/articles/{a["id"]}"' in page


def test_filters_narrow_the_list(client: TestClient) -> None:
    every = client.get("/api/articles", params={"limit": 1000}).json()
    zh = client.get("/api/articles", params={"lang": "zh", "limit": 1000}).json()
    assert zh and {a["language"] for a in zh} == {"zh"} and len(zh) < len(every)
    wire = client.get("/api/articles", params={"source": "wire"}).json()
    assert wire and {a["source"] for a in wire} == {"wire"}
    window = client.get("/api/articles", params={"since": "2022-01-01", "until": "2022-12-31"})
    assert window.json() and all(a["published"][:4] == "2022" for a in window.json())
    cluster = next(a for a in every if client.get(f"/api/articles/{a['id']}").json()["cluster"])
    cid = client.get(f"/api/articles/{cluster['id']}").json()["cluster"]
    members = client.get("/api/articles", params={"cluster": cid}).json()
    assert len(members) >= 2
    page = client.get("/articles", params={"cluster": cid}).text
    assert all(f'href="/articles/{m["id"]}"' in page for m in members)
    assert client.get("/api/articles", params={"since": "not-a-date"}).status_code == 422
    assert client.get("/articles", params={"since": "not-a-date"}).status_code == 400


def test_a_revised_article_shows_its_versions_and_the_diff(client: TestClient) -> None:
    every = client.get("/api/articles", params={"limit": 1000}).json()
    revised = next(a for a in every if a["versions"] > 1)
    detail = client.get(f"/api/articles/{revised['id']}").json()
    old, new = detail["history"][0]["text"], detail["history"][-1]["text"]
    page = client.get(f"/articles/{revised['id']}").text
    assert "What changed" in page
    removed = set(old.splitlines()) - set(new.splitlines())
    assert removed and 'class="del"' in page and 'class="ins"' in page
    same = client.get(f"/articles/{revised['id']}", params={"a": 1, "b": 1}).text
    assert "The two versions have the same text" in same


# -- API shapes -------------------------------------------------------------------------------
def test_the_api_prints_what_the_cli_prints(client: TestClient, crawled: Cli) -> None:
    assert client.get("/api/articles", params={"limit": 1000}).json() == crawled.json(
        "articles", "--limit", "1000"
    )
    some = crawled.json("articles")[0]["id"]
    assert client.get(f"/api/articles/{some}").json() == crawled.json("show", str(some))[0]
    assert client.get("/api/figures/companies").json() == crawled.json(
        "figures", "history", "companies"
    )
    # the same records; the API pages them in the queue's order (largest change first)
    by_id = lambda records: sorted(records, key=lambda f: f["id"])  # noqa: E731
    assert by_id(client.get("/api/flags", params={"kind": "changed"}).json()) == by_id(
        crawled.json("flags", "--kind", "changed")
    )
    assert client.get("/api/figures").json() == crawled.json("figures", "current")
    assert client.get("/api/articles/999999").status_code == 404


def test_an_unknown_metric_is_a_404_with_a_json_error(client: TestClient) -> None:
    missing = client.get("/api/figures/nosuch")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no figures of metric 'nosuch' are stored"}
    other = client.get("/api/figures/companies", params={"subject": "nobody"})
    assert other.status_code == 200 and other.json() == []  # a known metric, nobody's figure


def test_openapi_describes_every_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"get"} <= set(paths["/api/articles"])
    for path in (
        "/api/articles/{article_id}",
        "/api/flags",
        "/api/figures/{metric}",
        "/api/digests/latest",
    ):
        assert "get" in paths[path], path
    assert "post" in paths["/api/flags/{flag_id}/accept"]
    assert "post" in paths["/api/flags/{flag_id}/dismiss"]
    names = {p["name"] for p in paths["/api/articles"]["get"]["parameters"]}
    assert {"q", "since", "lang", "source"} <= names
    assert not any(p.startswith("/flags") for p in paths)  # HTML pages stay out


# -- the flag queue ---------------------------------------------------------------------------
KIND_RANK = {"changed": 0, "conflict": 1, "outdated": 2, "new": 3}


def _queue_pages(client: TestClient, path: str = "/flags?state=all") -> list[list[int]]:
    """Every page of the HTML queue, following its next links: the flag ids on each."""
    pages = []
    while path:
        page = client.get(path)
        assert page.status_code == 200, path
        pages.append([int(i) for i in re.findall(r'<tr id="flag-(\d+)" class="flag">', page.text)])
        found = re.search(r'class="next" href="([^"]+)"', page.text)
        path = unescape(found[1]) if found else ""
    return pages


def _size(flag: dict) -> float:
    return abs(flag["percent"]) if flag["percent"] is not None else -1


def test_the_queue_pages_by_kind_then_size_of_change(client: TestClient) -> None:
    every = {f["id"]: f for f in client.get("/api/flags", params={"limit": 1000}).json()}
    pages = _queue_pages(client)
    assert len(pages) > 2 and all(0 < len(p) <= 25 for p in pages)
    order = [i for p in pages for i in p]
    assert sorted(order) == sorted(every)  # each flag once, none lost between pages
    keys = [(KIND_RANK[every[i]["kind"]], -_size(every[i])) for i in order]
    assert keys == sorted(keys) and keys[0][0] < keys[-1][0]
    # the API pages the same way, its cursor in X-Next-Cursor and a Link header
    api, after = [], None
    while True:
        params = {"limit": 20} | ({"after": after} if after else {})
        response = client.get("/api/flags", params=params)
        api += [f["id"] for f in response.json()]
        after = response.headers.get("x-next-cursor")
        if after is None:
            assert "link" not in response.headers
            break
        assert (
            response.headers["link"].endswith('; rel="next"') and after in response.headers["link"]
        )
    assert api == order
    bad = client.get("/api/flags", params={"after": "1;drop"})
    assert bad.status_code == 400 and "not a cursor" in bad.json()["detail"]
    assert client.get("/flags", params={"after": "1;drop"}).status_code == 400


def test_the_queue_limits_its_query_in_sql(client: TestClient, crawled: Cli) -> None:
    store = crawled.store()
    seen: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    with store.session() as s:
        flags, cursor = q.flag_queue(s, limit=7)
        rest, _ = q.flag_queue(s, after=cursor, limit=1000)
        total = q.count_flags(s)
    store.close()
    assert len(flags) == 7 and cursor is not None and len(flags) + len(rest) == total
    assert not {f.id for f in flags} & {f.id for f in rest}
    queue_sql = [sql for sql in seen if "FROM flag" in sql and "ORDER BY" in sql]
    assert queue_sql and all("LIMIT" in sql for sql in queue_sql)


def test_the_queue_shows_each_figure_in_its_sentence(client: TestClient) -> None:
    page = client.get("/flags", params={"state": "all"}).text
    first = client.get("/api/flags", params={"limit": 1}).json()[0]
    before, _, after = first["sentence"].partition(first["text"])
    assert f"{escape(before)}<mark>{escape(first['text'])}</mark>{escape(after)}" in page
    assert f">{first['url']}<" not in page  # the article's title and site stand for it


def test_several_flags_are_reviewed_in_one_post_and_the_name_is_kept(
    client: TestClient, crawled: Cli
) -> None:
    ids = [
        f["id"] for f in client.get("/api/flags", params={"state": "open", "kind": "new"}).json()
    ]
    chosen = ids[:3]
    page = client.get("/flags").text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)[1]
    form = {"action": "dismiss", "flag": chosen, "note": "other programmes", "by": "Chan Tai-man"}
    refused = client.post("/flags/review", data=form, follow_redirects=False)
    assert refused.status_code == 403 and all(_trail(crawled, i) == [] for i in chosen)
    nothing = client.post("/flags/review", data=form | {"flag": [], "csrf_token": token})
    assert nothing.status_code == 400 and "no flag selected" in nothing.text
    done = client.post("/flags/review", data=form | {"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/flags"
    for i in chosen:
        assert _trail(crawled, i) == [("dismissed", "Chan Tai-man", "other programmes")]
        assert client.get(f"/api/flags/{i}").json()["state"] == "dismissed"
    assert ids[3] in [f["id"] for f in client.get("/api/flags", params={"state": "open"}).json()]
    # the reviewer's name comes back in every review form of this browser
    assert 'name="by" value="Chan Tai-man"' in client.get("/flags").text
    assert 'name="by" value="Chan Tai-man"' in client.get(f"/flags/{ids[3]}").text


# -- reviews and CSRF -------------------------------------------------------------------------
def _trail(crawled: Cli, flag_id: int) -> list[tuple[str, str, str | None]]:
    store = crawled.store()
    with store.session() as s:
        rows = [(r.state, r.by, r.note) for r in s.query(FlagReview).filter_by(flag_id=flag_id)]
    store.close()
    return rows


def test_a_form_post_without_the_csrf_token_changes_nothing(
    client: TestClient, crawled: Cli
) -> None:
    flag = _open_flag(client)
    form = {"action": "accept", "note": "forged", "by": "mallory"}
    assert client.post(f"/flags/{flag['id']}/review", data=form).status_code == 403
    wrong = form | {"csrf_token": "0" * 64}
    assert client.post(f"/flags/{flag['id']}/review", data=wrong).status_code == 403
    assert client.get(f"/api/flags/{flag['id']}").json()["state"] == "open"
    assert _trail(crawled, flag["id"]) == []


def test_reviewing_in_the_queue_keeps_an_audit_trail(client: TestClient, crawled: Cli) -> None:
    flag = _open_flag(client)
    page = client.get("/flags").text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)[1]
    form = {
        "action": "accept",
        "note": "matches the annual report",
        "by": "ana",
        "csrf_token": token,
    }
    done = client.post(f"/flags/{flag['id']}/review", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/flags"
    assert f'id="flag-{flag["id"]}"' not in client.get("/flags").text
    assert _trail(crawled, flag["id"]) == [("accepted", "ana", "matches the annual report")]
    detail = client.get(f"/flags/{flag['id']}").text
    assert "matches the annual report" in detail and "ana" in detail
    assert client.get(f"/api/flags/{flag['id']}").json()["reviews"][0]["by"] == "ana"


def test_the_api_needs_a_header_browsers_cannot_forge(client: TestClient, crawled: Cli) -> None:
    flag = _open_flag(client)
    refused = client.post(f"/api/flags/{flag['id']}/dismiss", json={"note": "x"})
    assert refused.status_code == 403
    assert client.get(f"/api/flags/{flag['id']}").json()["state"] == "open"
    done = client.post(
        f"/api/flags/{flag['id']}/dismiss",
        json={"note": "a delegation, not the park", "by": "bot"},
        headers={"X-Pressmon-Client": "test"},
    )
    assert done.status_code == 200
    assert done.json()["state"] == "dismissed" and done.json()["reviewed_by"] == "bot"
    assert _trail(crawled, flag["id"]) == [("dismissed", "bot", "a delegation, not the park")]


def test_other_hosts_are_refused_on_loopback(client: TestClient) -> None:
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


# -- the access token -------------------------------------------------------------------------
def test_only_loopback_goes_without_a_token() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert not is_loopback("example.org")
    assert require_token("127.0.0.1", None, "PRESSMON_WEB_TOKEN") is None
    assert require_token("0.0.0.0", "s3cret", "PRESSMON_WEB_TOKEN") == "s3cret"
    with pytest.raises(AccessError, match="PRESSMON_WEB_TOKEN"):
        require_token("0.0.0.0", None, "PRESSMON_WEB_TOKEN")
    with pytest.raises(AccessError):
        require_token("192.168.1.5", "", "PRESSMON_WEB_TOKEN")


def test_serving_off_loopback_without_the_token_stops_with_one_line(
    crawled: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PRESSMON_WEB_TOKEN", raising=False)
    result = crawled("serve", "--host", "0.0.0.0", "--port", "0", check=False)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "PRESSMON_WEB_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_with_a_token_every_request_must_carry_it(crawled: Cli) -> None:
    store = Store(crawled.db_url)
    app = web_app(store, load_config(crawled.config), token="s3cret")
    with TestClient(app) as guarded:
        assert guarded.get("/api/articles").status_code == 401
        assert guarded.get("/openapi.json").status_code == 401
        away = guarded.get("/articles", follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"].startswith("/login")
        wrong = {"Authorization": "Bearer nope"}
        assert guarded.get("/api/articles", headers=wrong).status_code == 401
        right = {"Authorization": "Bearer s3cret"}
        assert guarded.get("/api/articles", headers=right).status_code == 200
        assert guarded.post("/login", data={"token": "nope"}).status_code == 403
        exchanged = guarded.get("/articles?token=s3cret&lang=zh", follow_redirects=False)
        assert exchanged.headers["location"] == "/articles?lang=zh"
        assert "s3cret" not in exchanged.headers["set-cookie"]
        assert guarded.get("/articles").status_code == 200  # the cookie now stands in
    store.close()


# -- hostile input ----------------------------------------------------------------------------
def _live_markup(html: str) -> list[str]:
    """Tags that would run: any <script> element or an attribute handler such as onerror=."""
    return re.findall(r"<script\b|<[a-z][^>]*\son[a-z]+\s*=", html, flags=re.IGNORECASE)


def test_hostile_titles_and_text_render_inert(client: TestClient) -> None:
    hits = client.get("/api/articles", params={"limit": 1000}).json()
    hostile = next(a for a in hits if a["url"] == XSS_URL)
    assert hostile["title"] == XSS_TITLE
    for path in (
        f"/articles/{hostile['id']}",
        "/articles",
        "/articles?q=alert",
        "/figures/companies",
        "/flags?state=all",
    ):
        html = client.get(path).text
        assert _live_markup(html) == [], path
    page = client.get(f"/articles/{hostile['id']}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert link("javascript:alert(1)") == "#" and link(XSS_URL) == XSS_URL
