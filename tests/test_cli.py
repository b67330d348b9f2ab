"""The CLI as documented: each command, its JSON, and an example in every --help."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml

from pressmon.cli import main
from samplesite import sample_config
from tests.conftest import BACKEND, Cli, crawl_sample, database_url, sqlite_only, write_config

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


def test_clean_json_is_an_array_and_jsonl_one_object_per_line(tmp_path: Path, crawled: Cli) -> None:
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
    result = crawled("clean", str(page), str(empty), str(page), "--json", check=False)
    assert result.returncode == 1
    assert "empty.html" in result.stderr and "no article text" in result.stderr
    records = json.loads(result.stdout)  # one array, like every other --json
    assert isinstance(records, list) and len(records) == 2
    record = records[0]
    assert set(record) == {"path", "title", "text", "date", "author", "sitename", "language"}
    assert record["date"] == "2024-07-19" and record["language"] == "en"
    assert "1,800 companies" in record["text"] and "Home" not in record["text"]
    lines = crawled("clean", str(page), str(page), "--jsonl").stdout.strip().splitlines()
    assert [json.loads(line) for line in lines] == records
    both = crawled("clean", str(page), "--json", "--jsonl", check=False)
    assert both.returncode == 2 and "choose one" in both.stderr


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


# -- the right store, or a clear error ---------------------------------------------------------
READING = [
    ["articles"],
    ["show", "1"],
    ["search", "unicorns"],
    ["flags"],
    ["figures", "history", "companies"],
    ["figures", "current"],
    ["digest"],
    ["digests"],
    ["serve", "--port", "0"],
]


def _pressmon(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`pressmon ARGS` in `cwd` with no PRESSMON_DB / PRESSMON_CONFIG but those in `env`."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PRESSMON_DB", "PRESSMON_CONFIG")}
    return subprocess.run(
        [sys.executable, "-m", "pressmon", *args],
        cwd=cwd,
        env={**clean, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def _missing_store(tmp_path: Path) -> tuple[str, str]:
    """A URL where no store is (on PostgreSQL: a database without pressmon's tables), and
    what the error must name."""
    if BACKEND == "sqlite":
        path = tmp_path / "no-such-folder" / "pressmon.db"
        return f"sqlite:///{path}", str(path)
    from tests import pg

    url = pg.new_database("bare", template="template0")
    return url, url.rsplit("/", 1)[1]


@pytest.mark.parametrize("args", READING, ids=lambda a: " ".join(a))
def test_reading_commands_never_create_a_store(tmp_path: Path, args: list[str]) -> None:
    url, named = _missing_store(tmp_path)
    config = write_config(tmp_path / "config.yaml", "http://127.0.0.1:9")
    line = _one_line_error(_pressmon(*args, "--config", str(config), "--db", url, cwd=tmp_path))
    assert named in line and "pressmon crawl" in line and "pressmon db upgrade" in line
    assert "pressmon demo" in line
    assert not (tmp_path / "no-such-folder").exists()
    if BACKEND == "postgresql":
        from sqlalchemy import create_engine, inspect

        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as connection:
            assert inspect(connection).get_table_names() == []
        engine.dispose()


def test_a_writing_command_still_creates_the_store(tmp_path: Path) -> None:
    url, _named = _missing_store(tmp_path)
    config = write_config(tmp_path / "config.yaml", "http://127.0.0.1:9")
    made = _pressmon("db", "upgrade", "--config", str(config), "--db", url, cwd=tmp_path)
    assert made.returncode == 0 and "up to date" in made.stdout, made.stderr
    listed = _pressmon("articles", "--config", str(config), "--db", url, cwd=tmp_path)
    assert listed.returncode == 0 and "no articles" in listed.stdout, listed.stderr


@sqlite_only
def test_a_relative_sqlite_path_in_config_is_the_config_folders(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    elsewhere.mkdir()
    home.mkdir()
    data = yaml.safe_load(sample_config("http://127.0.0.1:9"))
    data["store"] = {"url": "sqlite:///data/watch.db"}
    config = home / "config.yaml"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    made = _pressmon("db", "upgrade", "--config", str(config), cwd=elsewhere)
    assert made.returncode == 0, made.stderr
    assert (home / "data" / "watch.db").is_file()
    assert str(home / "data" / "watch.db") in made.stdout
    assert not (elsewhere / "data").exists()
    # read from a third folder through $PRESSMON_CONFIG: the same store, not a new one
    listed = _pressmon("articles", cwd=tmp_path, env={"PRESSMON_CONFIG": str(config)})
    assert listed.returncode == 0 and "no articles" in listed.stdout, listed.stderr
    # --db and $PRESSMON_DB stay relative to the working directory
    mine = _pressmon(
        "db", "upgrade", "--config", str(config), "--db", "sqlite:///mine.db", cwd=elsewhere
    )
    assert mine.returncode == 0 and (elsewhere / "mine.db").is_file(), mine.stderr
    env = {"PRESSMON_DB": "sqlite:///env.db"}
    theirs = _pressmon("db", "upgrade", "--config", str(config), cwd=elsewhere, env=env)
    assert theirs.returncode == 0 and (elsewhere / "env.db").is_file(), theirs.stderr


def test_an_explicit_config_is_always_read_and_validated(tmp_path: Path, crawled: Cli) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("watch: 3\nsources: []\n", encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>HKSTP</p></body></html>", encoding="utf-8")
    db = ["--db", crawled.db_url]
    for args in (["articles", *db], ["digests", *db], ["flags", *db], ["clean", str(page)]):
        line = _one_line_error(_pressmon(*args, "--config", str(missing), cwd=tmp_path))
        assert "no config file at" in line and str(missing) in line, args
        line = _one_line_error(_pressmon(*args, "--config", str(bad), cwd=tmp_path))
        assert str(bad) in line and "watch" in line, args
        env = {"PRESSMON_CONFIG": str(bad)}
        line = _one_line_error(_pressmon(*args, cwd=tmp_path, env=env))
        assert str(bad) in line and "watch" in line, args
    # no config named: --db alone needs none
    unnamed = _pressmon("articles", *db, "--json", cwd=tmp_path)
    assert unnamed.returncode == 0 and json.loads(unnamed.stdout), unnamed.stderr


BLOCK_MODULES = """
import sys
BLOCKED = {blocked!r}
class _Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _Blocked())
"""


@pytest.mark.parametrize(
    ("blocked", "env", "why"),
    [
        (("psycopg",), {}, "is not installed"),
        # psycopg without its binary package (or libpq): `import psycopg` is an ImportError
        (("psycopg_binary", "psycopg_c"), {"PSYCOPG_IMPL": "binary"}, "cannot load"),
    ],
    ids=["no psycopg", "psycopg without libpq"],
)
def test_a_missing_postgresql_driver_says_which_extra_to_install(
    tmp_path: Path, blocked: tuple[str, ...], env: dict[str, str], why: str
) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(BLOCK_MODULES.format(blocked=blocked), encoding="utf-8")
    config = write_config(tmp_path / "config.yaml", "http://127.0.0.1:9")
    url = "postgresql://pressmon:secret@127.0.0.1:9/pressmon"
    for args in (["articles"], ["db", "upgrade"]):
        result = _pressmon(
            *args,
            "--config",
            str(config),
            "--db",
            url,
            cwd=tmp_path,
            env={"PYTHONPATH": str(shim), **env},
        )
        line = _one_line_error(result)
        assert "pip install 'pressmon[postgresql]'" in line and why in line
        assert "127.0.0.1:9/pressmon" in line and "secret" not in line


# -- what the tables and `show` print ----------------------------------------------------------
def _column(table: str, name: str) -> str:
    """The text of one column of a printed table, its folded lines joined back together."""
    lines = [line for line in table.splitlines() if line.startswith(("┃", "│"))]
    index = [cell.strip() for cell in lines[0].split("┃")].index(name)
    return "".join(line.split("│")[index].strip() for line in lines[1:])


def test_tables_never_cut_an_identifier(crawled: Cli) -> None:
    flags = crawled.json("flags")
    table = crawled("flags").stdout
    assert "…" not in table
    where, metrics = _column(table, "where"), _column(table, "metric")
    assert all(f["url"] in where for f in flags)
    assert all(f["metric"] in metrics for f in flags)


def test_show_omits_absent_fields_and_diffs_versions(tmp_path: Path, crawled: Cli) -> None:
    cli = Cli(crawled.config, database_url(tmp_path, "versions"), tmp_path)
    page = tmp_path / "release.txt"
    lines = [
        "HKSTP opens a robotics lab",
        "Hong Kong Science Park (HKSTP) opened a robotics lab on Monday.",
        "The lab has room for 40 engineers.",
        "It is open to every park company.",
    ]
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    url = "https://news.example.com/robotics-lab"
    cli("ingest", str(page), "--url", url, "--published", "2024-07-01")
    lines[2] = "The lab has room for 60 engineers."
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli("ingest", str(page), "--url", url, "--published", "2024-07-01")
    (article,) = cli.json("articles")
    assert article["versions"] == 2
    shown = cli("show", str(article["id"])).stdout
    assert "None" not in shown and "author:" not in shown and "cluster:" not in shown
    assert f"url: {url}" in shown and "room for 60 engineers" in shown
    diffed = cli("show", str(article["id"]), "--versions").stdout
    assert "-The lab has room for 40 engineers." in diffed
    assert "+The lab has room for 60 engineers." in diffed
    assert "--- version 1" in diffed and "+++ version 2" in diffed
    assert diffed.count("It is open to every park company.") == 2  # version 1, then context
