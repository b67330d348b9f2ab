"""The web app in-process (FastAPI's TestClient) over a crawled sample-newsroom store:
every page renders, the API keeps the CLI's JSON shapes, state changes need a CSRF
token, a token guards any bind off loopback, and hostile article text stays inert."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

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
        assert "No statement of companies" in empty.get("/figures/companies").text
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
        articles = q.list_articles(s, limit=3)
        content = {
            "period": {"start": "2025-11-01T00:00:00", "end": "2025-11-08T00:00:00"},
            "flags": [flag_record(flag)],
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
    assert "Latest digest" in page and "2025-11-01T00:00:00 – 2025-11-08T00:00:00" in page
    for a in articles:
        assert f'href="/articles/{a.id}"' in page
    assert flag.mention.text in page
    assert client.get("/digests").text.count('href="/digests/') == 3
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
    assert client.get("/api/flags", params={"kind": "changed"}).json() == crawled.json(
        "flags", "--kind", "changed"
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
