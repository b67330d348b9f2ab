"""The CLI as documented: each command, its JSON, and an example in every --help."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from pressmon.cli import main
from tests.conftest import Cli, crawl_sample, database_url, sqlite_only

ARTICLE_KEYS = {
    "id",
    "kind",
    "url",
    "title",
    "published",
    "language",
    "source",
    "first_seen",
    "last_seen",
    "versions",
}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """One crawl of edition 1 that the read-only commands below share."""
    return crawl_sample(tmp_path_factory.mktemp("cli"), editions=(1,))


def _commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


@pytest.mark.parametrize("name", [name for name, _ in _commands(main)] + ["(main)"])
def test_every_command_help_has_an_example(name: str) -> None:
    command = main if name == "(main)" else dict(_commands(main))[name]
    if isinstance(command, click.Group) and name != "(main)":
        return  # a group lists its commands; each of them is checked
    assert "Example" in (command.help or ""), f"pressmon {name} --help has no example"


def test_articles_json_lists_what_was_stored(crawled: Cli) -> None:
    rows = crawled.json("articles", "--limit", "100")
    assert rows and all(set(row) == ARTICLE_KEYS for row in rows)
    dates = [row["published"] or row["first_seen"][:10] for row in rows]
    assert dates == sorted(dates, reverse=True), "newest first"
    chinese = crawled.json("articles", "--lang", "zh")
    assert chinese and {row["language"] for row in chinese} == {"zh"}
    wire = crawled.json("articles", "--source", "wire")
    assert wire and {row["source"] for row in wire} == {"wire"}
    recent = crawled.json("articles", "--since", "2024-01-01")
    assert recent and all((r["published"] or r["first_seen"]) >= "2024-01-01" for r in recent)
    assert len(crawled.json("articles", "--limit", "2")) == 2


def test_show_prints_an_article_and_its_versions(crawled: Cli) -> None:
    first = crawled.json("articles", "--limit", "1")[0]
    shown = crawled.json("show", str(first["id"]))[0]
    assert shown["id"] == first["id"] and shown["text"]
    assert [v["number"] for v in shown["history"]] == [1]
    text = crawled("show", str(first["id"]), "--versions").stdout
    assert "version 1" in text and first["title"].split()[0] in text
    missing = crawled("show", "99999", check=False)
    assert missing.returncode == 1 and "no article with id 99999" in missing.stderr


@pytest.mark.parametrize(("query", "language"), [("unicorns", "en"), ("科學園", "zh")])
def test_search_finds_english_words_and_chinese_phrases(
    crawled: Cli, query: str, language: str
) -> None:
    hits = crawled.json("search", query)
    assert hits, f"no hit for {query}"
    assert hits[0]["language"] == language
    assert all(set(ARTICLE_KEYS) <= set(hit) for hit in hits)
    assert any(query in hit["snippet"].lower() for hit in hits)
    assert crawled.json("search", query, "--lang", "en" if language == "zh" else "zh") != hits


def test_search_ranks_and_handles_odd_queries(crawled: Cli) -> None:
    assert crawled.json("search", '" * ()') == []
    assert "no matches" in crawled("search", "zzzqqq").stdout


def test_clean_prints_one_json_object_per_file(tmp_path: Path, crawled: Cli) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html lang='en'><head><title>HKSTP news</title>"
        "<meta property='article:published_time' content='2024-07-19'></head><body>"
        "<nav><a href='/'>Home</a></nav><article><h1>HKSTP news</h1>"
        + "<p>Hong Kong Science Park hosts more than 1,800 companies and a busy community "
        "of researchers working on robotics, biotech and materials.</p>"
        * 3
        + "</article></body></html>",
        encoding="utf-8",
    )
    empty = tmp_path / "empty.html"
    empty.write_text("", encoding="utf-8")
    result = crawled("clean", str(page), str(empty), "--json", check=False)
    assert result.returncode == 1
    assert "empty.html" in result.stderr and "no article text" in result.stderr
    [line] = result.stdout.strip().splitlines()
    record = json.loads(line)
    assert set(record) == {"path", "title", "text", "date", "author", "sitename", "language"}
    assert record["date"] == "2024-07-19" and record["language"] == "en"
    assert "1,800 companies" in record["text"] and "Home" not in record["text"]


def test_db_upgrade_reports_an_up_to_date_store(crawled: Cli) -> None:
    assert "up to date" in crawled("db", "upgrade").stdout


@sqlite_only
def test_a_locked_database_is_one_clear_line(crawled: Cli) -> None:
    import sqlite3

    path = crawled.db_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = crawled("crawl", "--source", "wire", check=False)
    finally:
        holder.rollback()
        holder.close()
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "is locked" in result.stderr and path in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sample_site_serves_until_stopped(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pressmon",
            "sample-site",
            "--port",
            str(port),
            "--edition",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=2) as r:
                    assert b"Disallow: /private/" in r.read()
                break
            except OSError:
                assert time.monotonic() < deadline, "sample site did not start"
                time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_demo_crawls_both_editions_into_a_fresh_store(tmp_path: Path) -> None:
    db = database_url(tmp_path, "demo")
    result = subprocess.run(
        [sys.executable, "-m", "pressmon", "demo", "--db", db],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    out = result.stdout
    assert "Edition 1" in out and "Edition 2" in out
    assert "new article(s):" in out and "revised article(s):" in out
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "pressmon",
            "articles",
            "--db",
            db,
            "--json",
            "--config",
            str(Path(__file__).parents[1] / "config.yaml"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert len(json.loads(again.stdout)) > 10
