"""The clean stage on pages shaped like the sources pressmon reads: real trafilatura, no mocks."""

from __future__ import annotations

import datetime
import re

import pytest

from crawler.clean import CleanPage, _only_link_labels, _parse, clean_html
from crawler.encoding import decode_html
from crawler.errors import CleaningError
from crawler.language import detect_language

URL = "https://news.example.com/2024/03/park-start-ups"

ARTICLE_EN = [
    "Hong Kong Science and Technology Parks Corporation said on Tuesday that its incubation "
    "programmes admitted a record number of start-ups during the year.",
    "The corporation now hosts more than 1,100 technology companies across Science Park and "
    "its industrial estates in Tai Po, Tseung Kwan O and Yuen Long.",
    "Its chief executive said the laboratories in the park's newest building would open to "
    "tenants in the spring, giving research teams shared clean rooms and test equipment.",
]
ARTICLE_ZH_HANT = [
    "香港科技園公司今日宣布，香港科學園的培育計劃本年度共錄取超過一百間初創企業，創歷年新高。",
    "科學園現時匯聚逾一千一百間科技公司，研發人員超過一萬三千名，涵蓋生物醫藥、人工智能及金融科技等領域。",
    "公司行政總裁表示，新落成的實驗室大樓將於明年春季開放予租戶使用，為研發團隊提供共享的無塵室及測試設備。",
]
ARTICLE_ZH_HANS = [
    "香港科技园公司今日宣布，香港科学园的培育计划本年度共录取超过一百间初创企业，创历年新高。",
    "科学园现时汇聚逾一千一百间科技公司，研发人员超过一万三千名，涵盖生物医药、人工智能及金融科技等领域。",
    "公司行政总裁表示，新落成的实验室大楼将于明年春季开放予租户使用，为研发团队提供共享的无尘室及测试设备。",
]


def news_page(
    paragraphs: list[str],
    *,
    html_attrs: str = 'lang="en"',
    head: str = "",
    title: str = "Park admits record number of start-ups",
    footer: str = "Copyright Example Daily. All rights reserved.",
) -> str:
    """A news article with the chrome real sites wrap around it."""
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return f"""<!DOCTYPE html>
<html {html_attrs}><head><title>{title} | Example Daily</title>
<meta property="og:site_name" content="Example Daily">{head}</head><body>
<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your experience.
By continuing to browse you accept our cookie policy.</p><button>Accept all cookies</button></div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/tech">Technology</a></li>
<li><a href="/business">Business</a></li><li><a href="/hk">Hong Kong</a></li></ul></nav></header>
<main><article><h1>{title}</h1>{body}</article>
<section id="comments" class="comments"><h2>Comments</h2>
<div class="comment"><p>Commenter Bob writes: a waste of public money, nobody cheers.</p></div>
<div class="comment"><p>Commenter Alice writes: great to see the park growing so fast.</p></div>
</section></main>
<aside class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Typhoon signal raised overnight</a>
</li><li><a href="/b">Stock market closes higher</a></li></ul></aside>
<footer><p>{footer}</p><a href="/privacy">Privacy</a></footer></body></html>"""


def test_article_text_without_navigation_comments_or_banner() -> None:
    page = clean_html(news_page(ARTICLE_EN).encode("utf-8"), url=URL)

    assert isinstance(page, CleanPage)
    for paragraph in ARTICLE_EN:
        assert paragraph in page.text.splitlines()
    for chrome in ("Commenter", "cookie", "Most read", "Typhoon", "All rights reserved"):
        assert chrome not in page.text
    assert page.title == "Park admits record number of start-ups"
    assert page.sitename == "Example Daily"


def test_date_and_author_from_meta_tags() -> None:
    head = (
        '<meta property="article:published_time" content="2024-03-05T09:00:00+08:00">'
        '<meta name="author" content="Jane Reporter">'
    )
    page = clean_html(news_page(ARTICLE_EN, head=head), url=URL)

    assert page.date == datetime.date(2024, 3, 5)
    assert page.author == "Jane Reporter"


def test_date_from_a_visible_dateline() -> None:
    dated = ["Hong Kong, 12 March 2024 – " + ARTICLE_EN[0], *ARTICLE_EN[1:]]
    page = clean_html(news_page(dated), url="https://news.example.com/park")

    assert page.date == datetime.date(2024, 3, 12)


def test_fallback_date_when_the_page_has_none() -> None:
    feed_date = datetime.date(2023, 11, 20)
    undated = clean_html(news_page(ARTICLE_EN), url=URL, fallback_date=feed_date)
    # a copyright year alone is a weaker clue than the date the feed gave
    copyright_only = clean_html(
        news_page(ARTICLE_EN, footer="Copyright 2025 Example Daily"),
        url="https://news.example.com/park",
        fallback_date=feed_date,
    )

    assert undated.date == feed_date
    assert copyright_only.date == feed_date


@pytest.mark.parametrize(
    ("paragraphs", "html_attrs", "expected"),
    [
        (ARTICLE_EN, 'lang="en-US"', "en"),
        (ARTICLE_EN, "", "en"),
        (ARTICLE_ZH_HANT, 'lang="zh-HK"', "zh"),
        (ARTICLE_ZH_HANS, 'lang="zh-CN"', "zh"),
        (ARTICLE_ZH_HANT, "", "zh"),
        # a template that stamps lang="en" on every page, Chinese ones included
        (ARTICLE_ZH_HANT, 'lang="en"', "zh"),
    ],
)
def test_language(paragraphs: list[str], html_attrs: str, expected: str) -> None:
    page = clean_html(news_page(paragraphs, html_attrs=html_attrs), url=URL)

    assert page.language == expected


def test_language_is_und_without_letters_and_never_raises() -> None:
    assert detect_language("") == "und"
    assert detect_language("2024 — 1,100 / 13,000 %", declared="en") == "und"
    assert detect_language("\x00\ud800 ☃ \U0001f600 text", declared="xx-Bogus-Tag")


def chinese_page(paragraphs: list[str], title: str) -> str:
    """A Chinese press release with no charset declared anywhere in the markup."""
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        f"<html><head><title>{title}</title></head><body><nav><a href='/'>主頁</a></nav>"
        f"<article><h1>{title}</h1>{body}</article></body></html>"
    )


def test_big5_page_without_any_charset_decodes() -> None:
    body = chinese_page(ARTICLE_ZH_HANT, "科學園初創企業創新高").encode("big5")

    page = clean_html(body, url=URL)

    assert "香港科學園" in page.text
    assert page.title == "科學園初創企業創新高"
    assert page.language == "zh"


def test_gbk_page_without_any_charset_decodes() -> None:
    body = chinese_page(ARTICLE_ZH_HANS, "科学园初创企业创新高").encode("gbk")

    page = clean_html(body, url=URL)

    assert "香港科学园" in page.text
    assert page.language == "zh"


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "text/html", None])
def test_utf8_page_with_and_without_header(content_type: str | None) -> None:
    body = chinese_page(ARTICLE_ZH_HANT, "科學園").encode("utf-8")

    page = clean_html(body, url=URL, content_type=content_type)

    assert "香港科學園" in page.text


def test_hkscs_characters_survive_a_plain_big5_declaration() -> None:
    # 𨋢 (lift) is in Big5-HKSCS only; Hong Kong pages declare it as plain big5
    html = chinese_page([*ARTICLE_ZH_HANT, "大樓設有𨋢直達實驗室樓層。"], "科學園")
    body = html.encode("big5hkscs")

    assert "𨋢" in decode_html(body, "text/html; charset=big5")


def test_wrong_declared_charset_falls_through_to_the_bytes() -> None:
    big5 = chinese_page(ARTICLE_ZH_HANT, "科學園").encode("big5")
    utf8_declared_big5 = (
        chinese_page(ARTICLE_ZH_HANT, "科學園")
        .replace("<head>", '<head><meta charset="big5">')
        .encode("utf-8")
    )
    latin1_declared_utf8 = news_page(["Café Société: naïve résumé", *ARTICLE_EN]).encode("utf-8")

    assert "香港科學園" in clean_html(big5, url=URL, content_type="text/html; charset=utf-8").text
    assert "香港科學園" in clean_html(utf8_declared_big5, url=URL).text
    assert "Café Société" in decode_html(latin1_declared_utf8, "text/html; charset=iso-8859-1")


def test_byte_order_mark_wins_over_a_wrong_header() -> None:
    body = "\ufeff".encode() + chinese_page(ARTICLE_ZH_HANT, "科學園").encode("utf-8")

    text = decode_html(body, "text/html; charset=big5")

    assert "香港科學園" in text
    assert not text.startswith("\ufeff")


@pytest.mark.parametrize("encoding", ["big5", "gbk", "utf-8"])
def test_truncated_page_still_yields_text(encoding: str) -> None:
    article = ARTICLE_ZH_HANS if encoding == "gbk" else ARTICLE_ZH_HANT
    body = chinese_page(article, "標題" if encoding != "gbk" else "标题").encode(encoding)
    # cut inside the last paragraph, mid-character for the multi-byte encodings
    cut = body[: body.rindex(b"</p>") - 7]

    page = clean_html(cut, url=URL)

    assert article[0] in page.text


def test_truncated_english_page_still_yields_text() -> None:
    html = news_page(ARTICLE_EN)
    cut = html[: html.index("Its chief executive") + 40]

    page = clean_html(cut.encode("utf-8"), url=URL)

    assert ARTICLE_EN[1] in page.text


@pytest.mark.parametrize("body", [b"", b"   \n", "<html></html>"])
def test_empty_page_raises_naming_the_url(body: bytes | str) -> None:
    with pytest.raises(CleaningError, match=re.escape(URL)):
        clean_html(body, url=URL)


def test_navigation_only_page_raises_naming_the_url() -> None:
    links = "".join(
        f'<li><a href="/{slug}">{label}</a></li>'
        for slug, label in [("", "Home"), ("news", "News"), ("about", "About us")]
    )
    html = (
        "<html><head><title>Home</title></head><body>"
        f"<header><nav><ul>{links}</ul></nav></header>"
        '<footer><a href="/privacy">Privacy</a> <a href="/contact">Contact</a></footer>'
        "</body></html>"
    )

    with pytest.raises(CleaningError, match=re.escape(URL)):
        clean_html(html.encode("utf-8"), url=URL)


MENU = (
    "<html><body><nav><a href='/'>Home</a> <a href='/news'>Latest\u00a0 <b>news</b></a>"
    "<a href='/parks'>Science Park</a></nav><p>The park opened a new laboratory today.</p>"
    "</body></html>"
)


@pytest.mark.parametrize(
    ("text", "menu"),
    [
        ("Home\nLatest news\n\nScience  Park", True),  # every line a link's whole label
        ("Latest news", True),  # a label's spaces and markup read as the text's
        ("Home\nThe park opened a new laboratory today.", False),  # a sentence of the page
        ("Home Latest news", False),  # two labels run together are not one
        ("Science", False),  # part of a label is not a label
    ],
)
def test_text_that_is_only_link_labels_is_a_menu(text: str, menu: bool) -> None:
    tree = _parse(MENU)
    assert tree is not None
    assert _only_link_labels(text, tree) is menu


def test_one_trafilatura_pass_when_link_lists_outweigh_the_article(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A news page whose menus and related-story lists hold more text than the story: the
    text outside links says recall mode cannot double precision's text, so it is not run,
    and neither are trafilatura's fallback extractors (the fast pass)."""
    import crawler.clean as clean_module

    calls: list[tuple[bool, bool]] = []  # (precision, fast) of each pass
    real = clean_module.bare_extraction

    def counting(*args: object, **kwargs: object) -> object:  # the real call, counted
        calls.append((bool(kwargs.get("favor_precision")), bool(kwargs.get("fast"))))
        return real(*args, **kwargs)

    monkeypatch.setattr(clean_module, "bare_extraction", counting)
    related = "".join(
        f'<li><a href="/news/{i}">Related story {i}: typhoon signal raised as the markets '
        f"close higher on a busy trading day</a></li>"
        for i in range(60)
    )
    page = news_page(ARTICLE_EN).replace(
        "</main>", f'<section class="related"><ul>{related}</ul></section></main>'
    )
    found = clean_html(page.encode("utf-8"), url=URL)
    assert "1,100 technology companies" in found.text
    assert "Related story" not in found.text
    assert calls == [(True, True)]  # one fast precision pass


def test_an_article_the_fast_pass_misses_is_found_by_the_fallbacks() -> None:
    """Text in bare inline elements, no paragraphs: trafilatura's fast pass keeps nothing,
    so the page pays for its fallback extractors, which find the article."""
    spans = "".join(f"<span>{paragraph}</span>" for paragraph in ARTICLE_EN)
    page = news_page([]).replace("</article>", f"{spans}</article>")
    found = clean_html(page.encode("utf-8"), url=URL)
    assert "1,100 technology companies" in found.text
    assert "Commenter" not in found.text


LD_JSON = (
    '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Park grows",'
    ' "datePublished": "2024-03-05", "author": {"@type": "Person", "name": "Mei Chan"}}</script>'
)


@pytest.mark.parametrize(
    "head",
    [
        "",  # the <title> and the page's own markup only
        '<meta name="author" content="Jane Reporter"><meta name="description" content="A park.">',
        '<meta name="author" content="desk">',  # one word: a handle, not an author
        '<meta name="twitter:site" content="@exampledaily">',
        '<meta property="og:title" content="Park admits start-ups">'
        '<meta property="article:published_time" content="2024-03-05T08:00:00Z">',
        LD_JSON,
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>',
        '<link rel="canonical" href="/2024/03/park">',
    ],
)
def test_page_metadata_is_what_trafilatura_finds(head: str) -> None:
    """Title, author, site name, description and date read as trafilatura's own
    `extract_metadata` reads them (pressmon leaves out only the parts it does not keep)."""
    from trafilatura import extract_metadata
    from trafilatura.utils import load_html

    from crawler.clean import page_metadata

    html = news_page(ARTICLE_EN, head=head, footer='<a href="/cc" rel="license">CC BY</a>')
    ours = page_metadata(load_html(html), URL)
    dates = {  # how clean_html asks htmldate: the publication date, from the markup only
        "original_date": True,
        "extensive_search": False,
        "max_date": datetime.date.today().isoformat(),
    }
    theirs = extract_metadata(load_html(html), URL, dates)
    for field in ("title", "author", "sitename", "description", "date"):
        assert getattr(ours, field) == getattr(theirs, field), field
