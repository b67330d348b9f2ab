"""Measure the clean stage: article-text quality and cleaning throughput.

Scores trafilatura's modes and pressmon's shipped `clean_html` on an article
extraction benchmark folder (html/<id>.html.gz + ground-truth.json + the
folder's own evaluate.py, which holds the metric), then times `clean_html` on
a synthetic news page of about 70 KB. Single process throughout, so the
pages/s figures tell whether cleaning needs a process pool.

    python benchmarks/extraction.py PATH/TO/benchmarks/extraction
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from trafilatura import bare_extraction
from trafilatura.utils import load_html

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from crawler.clean import clean_html
from crawler.language import detect_language

SYNTHETIC_RUNS = 100


def trafilatura_mode(**options: bool) -> Callable[[str, str], str | None]:
    """trafilatura alone, as the clean stage would call it (metadata on, comments off)."""

    def run(html: str, url: str) -> str | None:
        document = bare_extraction(
            html, url=url, include_comments=False, with_metadata=True, **options
        )
        return document.text if document else None

    return run


def precision_with_recall_fallback(share: float) -> Callable[[str, str], str | None]:
    """Precision text, or recall text when precision keeps less than `share` of it."""

    def run(html: str, url: str) -> str | None:
        tree = load_html(html)
        texts = {}
        for mode in ("favor_precision", "favor_recall"):
            document = bare_extraction(tree, url=url, include_comments=False, **{mode: True})
            texts[mode] = (document.text if document else "") or ""
        precise, broad = texts["favor_precision"], texts["favor_recall"]
        return broad if len(precise) < share * len(broad) else precise

    return run


def shipped(html: str, url: str) -> str:
    """pressmon's clean_html on the page as fetched bytes (decoding included)."""
    return clean_html(html.encode("utf-8"), url=url).text


CONFIGURATIONS: dict[str, Callable[[str, str], str | None]] = {
    "trafilatura default": trafilatura_mode(),
    "trafilatura favor_precision": trafilatura_mode(favor_precision=True),
    "trafilatura favor_recall": trafilatura_mode(favor_recall=True),
    "trafilatura fast (no_fallback)": trafilatura_mode(fast=True),
    "trafilatura favor_precision, no tables": trafilatura_mode(
        favor_precision=True, include_tables=False
    ),
    "trafilatura favor_precision, deduplicate": trafilatura_mode(
        favor_precision=True, deduplicate=True
    ),
    "precision, recall if < 0.25 of it": precision_with_recall_fallback(0.25),
    "precision, recall if < 0.5 of it": precision_with_recall_fallback(0.5),
    "precision, recall if < 0.75 of it": precision_with_recall_fallback(0.75),
    "pressmon clean_html (shipped)": shipped,
}


def synthetic_news_page(target_bytes: int = 70_000) -> bytes:
    """A news page shaped like a real one: nav, sidebar, article, comments, footer, scripts."""
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(60))
    # real pages carry hundreds of small elements besides the article: story cards
    sidebar = "".join(
        f'<li class="card"><div class="card-body"><a href="/news/{i}"><span class="headline">'
        f'Related story number {i} about the park</span></a><span class="ago">{i} hours ago'
        "</span></div></li>"
        for i in range(150)
    )
    paragraphs = "".join(
        f"<p>Paragraph {i}: the science park reported that its incubation programme admitted "
        f"{100 + i} new companies this year, and that research staff on site grew by {i}% "
        "as laboratories opened in the new wing of the campus.</p>"
        for i in range(30)
    )
    comments = "".join(
        f'<div class="comment"><p>Reader {i} wrote a comment on this story.</p></div>'
        for i in range(20)
    )
    head = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Park admits new companies | Example News</title>"
        "<meta property='article:published_time' content='2025-06-03T08:00:00Z'>"
        "<meta name='author' content='Jane Reporter'>"
    )
    body = (
        f"</head><body><header><nav><ul>{nav}</ul></nav></header>"
        f"<main><article><h1>Park admits new companies</h1>{paragraphs}</article>"
        f'<section id="comments">{comments}</section></main>'
        f"<aside><ul>{sidebar}</ul></aside><footer><p>Copyright Example News</p></footer>"
    )
    page = head + body
    # inline scripts and styles make up most of a real page's bytes
    filler = (
        "<script>window.analytics = {"
        + ", ".join(f'"k{i}": {i}' for i in range(250))
        + "};</script>\n"
    )
    padding = filler * max(0, (target_bytes - len(page) - 20) // len(filler))
    return (page + padding + "</body></html>").encode("utf-8")


def time_synthetic(runs: int = SYNTHETIC_RUNS) -> tuple[int, float]:
    """Size of the synthetic page and clean_html pages/s on it (after one warm-up call)."""
    page = synthetic_news_page()
    clean_html(page, url="https://news.example.com/park")
    start = time.perf_counter()
    for _ in range(runs):
        clean_html(page, url="https://news.example.com/park")
    return len(page), runs / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "path", type=Path, help="benchmark folder with evaluate.py, html/ and truth"
    )
    parser.add_argument("--only", help="run only configurations whose name contains this text")
    args = parser.parse_args(argv)

    logging.disable(logging.WARNING)  # trafilatura logs every discarded page
    sys.path.insert(0, str(args.path.resolve()))
    import evaluate  # the benchmark's own metric, from PATH

    pages = evaluate.load_pages(args.path)
    # warm-up: a process pays once for trafilatura's first fallback call and the language model
    shipped(pages[0]["html"], pages[0]["url"])
    detect_language("a warm-up sentence for the language model")
    print(f"{'configuration':45s} precision recall    f1 pages/s   ({len(pages)} pages)")
    for name, run in CONFIGURATIONS.items():
        if args.only and args.only not in name:
            continue
        result = evaluate.evaluate(run, args.path, with_url=True, pages=pages, quiet=True)
        print(
            f"{name:45s} {result['precision']:9.4f} {result['recall']:6.4f} "
            f"{result['f1']:6.4f} {result['pages_per_s']:7.1f}"
            + (f"   ({result['errors']} errors)" if result["errors"] else ""),
            flush=True,
        )
    size, rate = time_synthetic()
    print(f"clean_html throughput on a {size // 1000} KB synthetic news page: {rate:.1f} pages/s")


if __name__ == "__main__":
    main()
