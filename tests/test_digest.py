"""Digests: golden Markdown/HTML from a fixed store, delivery to a real local SMTP server and
webhook, retries, nothing sent twice, empty periods, the Atom feed and untrusted text.

Regenerate the golden files on purpose with `python scripts/regenerate_digest_golden.py`.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from digest_golden.fixture import HERE, PERIOD, WATCHED, golden_store, write_config

from digest.collect import collect
from digest.record import digest_record, past_digests, preview
from digest.render import html, json_text, markdown, subject_line
from pressmon.cli import main
from store import Store
from store.clock import now as utcnow
from tests.conftest import Cli, copy_database, database_url

REGENERATE = "run `python scripts/regenerate_digest_golden.py` if the change is intended"


# -- local servers -------------------------------------------------------------------------------
@dataclass
class Mailbox:
    """What the local SMTP server accepted."""

    messages: list[email.message.EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


@dataclass
class Hook:
    """The local webhook: answers `status`, keeps every body it was sent."""

    url: str = ""
    status: int = 200
    bodies: list[bytes] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/digest"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _cli(home: Path, db_url: str, **digest: Any) -> Cli:
    config = write_config(home / "cli-config.yaml", **digest)
    return Cli(config=config, db_url=db_url, cwd=home)


def _channels(tmp_path: Path, port: int, hook_url: str | None = None) -> dict[str, Any]:
    channels: dict[str, Any] = {
        "folder": str(tmp_path / "out"),
        "email": {
            "host": "127.0.0.1",
            "port": port,
            "starttls": False,
            "sender": "pressmon@example.org",
            "to": ["analyst@example.org"],
        },
    }
    if hook_url:
        channels["webhook"] = {"url": hook_url, "timeout": 10}
    return channels


# -- golden files --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def golden_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("golden")
    store = golden_store(folder, database_url(folder, "golden"))[0]
    store.close()
    return store.url


@pytest.fixture(scope="module")
def golden_content(golden_db: str):
    store = Store(golden_db)
    with store.session() as session:
        content = collect(session, PERIOD)
    store.close()
    return content


def _digests(db_url: str) -> list[dict[str, Any]]:
    store = Store(db_url)
    with store.session() as session:
        records = [digest_record(d) for d in past_digests(session)]
    store.close()
    return records


def test_markdown_digest_matches_golden_file(golden_content) -> None:
    expected = (HERE / "digest.md").read_text(encoding="utf-8")
    assert markdown(golden_content, WATCHED) == expected, REGENERATE


def test_html_digest_matches_golden_file(golden_content) -> None:
    expected = (HERE / "digest.html").read_text(encoding="utf-8")
    assert html(golden_content, WATCHED) == expected, REGENERATE


def test_golden_digest_puts_flags_first_and_folds_syndicated_copies(golden_content) -> None:
    kinds = [f["kind"] for f in golden_content.flags]
    order = ["changed", "conflict", "outdated", "new"]
    assert kinds == sorted(kinds, key=order.index) and kinds[0] == "changed"
    release = next(a for a in golden_content.articles if a["also_published_by"])
    assert release["url"].startswith("http://127.0.0.1:8765/hkstp/")  # the source of truth
    assert [c["site"] for c in release["also_published_by"]] == ["wire.example.com"]
    (revised,) = golden_content.revised
    changed = {c["metric"]: c["change"] for c in revised["figures"]}
    assert changed == {"rnd_professionals": "changed", "unicorns": "added"}
    assert all(f["revision"] for f in revised["flags"])


# -- sending -------------------------------------------------------------------------------------
def test_send_delivers_once_retries_failures_and_feeds_atom(
    tmp_path: Path, golden_db: str, smtp: tuple[Mailbox, int], hook: Hook
) -> None:
    mailbox, port = smtp
    db_url = copy_database(golden_db, tmp_path, "send")
    cli = _cli(tmp_path, db_url, **_channels(tmp_path, port, hook.url))

    preview = json.loads(cli("digest", "--format", "json").stdout)
    assert set(preview) == {"period", "flags", "articles", "revised"}
    assert {"kind", "value", "previous_value", "delta", "percent", "url"} <= set(
        preview["flags"][0]
    )

    dry = cli("digest", "--send", "--dry-run").stdout
    assert "email analyst@example.org: would send" in dry and f"{hook.url}: would send" in dry
    assert mailbox.messages == [] and hook.bodies == [] and _digests(db_url) == []

    hook.status = 500
    first = cli("digest", "--send", check=False)
    assert first.returncode == 1 and "webhook" in first.stdout and "failed" in first.stdout
    (message,) = mailbox.messages
    assert message.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_content() for p in message.iter_parts()}
    assert "## Flags" in parts["text/plain"] and "<h2" in parts["text/html"]
    (digest,) = _digests(db_url)
    status = {d["channel"]: (d["status"], d["attempts"]) for d in digest["deliveries"]}
    assert status == {"folder": ("sent", 1), "email": ("sent", 1), "webhook": ("failed", 1)}
    assert "500" in next(d for d in digest["deliveries"] if d["channel"] == "webhook")["last_error"]
    out = tmp_path / "out"
    kept = json.loads((out / "digest-00001.json").read_text(encoding="utf-8"))
    assert (kept["flags"], kept["articles"]) == (preview["flags"], preview["articles"])
    assert {p.name for p in out.iterdir()} == {
        "digest-00001.md",
        "digest-00001.html",
        "digest-00001.json",
        "feed.xml",
    }

    hook.status = 200
    second = cli("digest", "--send")
    assert f"retry digest 1 webhook {hook.url}: sent" in second.stdout
    assert "nothing new" in second.stdout
    assert len(mailbox.messages) == 1 and len(hook.bodies) == 2
    sent = json.loads(hook.bodies[-1])
    assert sent == kept
    (digest,) = cli.json("digests")
    assert {d["channel"]: (d["status"], d["attempts"]) for d in digest["deliveries"]} == {
        "folder": ("sent", 1),
        "email": ("sent", 1),
        "webhook": ("sent", 2),
    }

    cli("digest", "--send")
    assert len(mailbox.messages) == 1 and len(hook.bodies) == 2  # nothing twice

    text = tmp_path / "later.txt"
    text.write_text(
        "HKSTP opens a robotics lab\nHong Kong Science Park (HKSTP) opened a robotics lab.\n",
        encoding="utf-8",
    )
    cli("ingest", str(text), "--url", "https://news.example.com/robotics-lab")
    third = cli("digest", "--send").stdout
    assert "digest 2: 0 flag(s), 1 new article(s)" in third
    assert len(mailbox.messages) == 2 and len(hook.bodies) == 3

    for source in (cli("digests", "--atom").stdout, (out / "feed.xml").read_text()):
        feed = feedparser.parse(source)
        assert not feed.bozo
        assert [e.title.split(":")[0] for e in feed.entries] == [f"{WATCHED} digest"] * 2
        assert "1 new article(s)" in feed.entries[0].title  # newest first
        assert "robotics lab" in feed.entries[0].content[0].value


def test_empty_period_sends_nothing_unless_configured(
    tmp_path: Path, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    db_url = database_url(tmp_path, "empty")
    cli = _cli(tmp_path, db_url, **_channels(tmp_path, port))
    cli("db", "upgrade")  # a digest only reads a store that exists
    assert "nothing new" in cli("digest", "--send").stdout
    assert mailbox.messages == [] and _digests(db_url) == []
    assert not (tmp_path / "out").exists()

    cli = _cli(tmp_path, db_url, **_channels(tmp_path, port), send_empty=True)
    cli("digest", "--send")
    (message,) = mailbox.messages
    assert "Nothing new in this period." in message.get_body(("plain",)).get_content()
    assert len(_digests(db_url)) == 1


def test_html_digest_renders_untrusted_article_text_inert(tmp_path: Path) -> None:
    db_url = database_url(tmp_path, "xss")
    cli = _cli(tmp_path, db_url, folder=None)
    page = tmp_path / "hostile.txt"
    page.write_text(
        "A hostile page\n"
        'HKSTP and Hong Kong Science Park <img src=x onerror="alert(2)"> welcome you '
        "<script>alert(3)</script>.\n",
        encoding="utf-8",
    )
    cli(
        "ingest",
        str(page),
        "--url",
        "https://evil.example.com/post",
        "--title",
        "<script>alert(1)</script>",
    )
    page_html = cli("digest", "--format", "html").stdout
    tree = lxml.html.document_fromstring(page_html)
    assert tree.xpath("//script") == [] and tree.xpath("//img") == []
    assert not [a for el in tree.iter() for a in el.attrib if a.lower().startswith("on")]
    assert "<script>alert(1)</script>" in tree.text_content()  # shown as text, not run
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_html
    store = Store(db_url)
    page_md = markdown(preview(store, utcnow()), WATCHED)
    store.close()
    assert "<script>" not in page_md and "\\<script\\>alert(1)" in page_md


def test_digest_commands_have_examples() -> None:
    runner = CliRunner()
    for name in ("digest", "digests"):
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output, name


def test_smtp_credentials_come_from_the_named_environment_variables() -> None:
    from digest.channels.smtp import credentials
    from digest.errors import ChannelError
    from digest.settings import EmailDelivery

    settings = EmailDelivery(
        host="127.0.0.1",
        sender="a@example.org",
        to=("b@example.org",),
        username_env="DIGEST_USER",
        password_env="DIGEST_PASSWORD",
    )
    env = {"DIGEST_USER": "analyst", "DIGEST_PASSWORD": "s3cret"}
    assert credentials(settings, env) == ("analyst", "s3cret")
    with pytest.raises(ChannelError, match="DIGEST_PASSWORD is not set"):
        credentials(settings, {"DIGEST_USER": "analyst"})
    assert (
        credentials(settings.model_copy(update={"username_env": None, "password_env": None}), {})
        is None
    )


def test_every_form_counts_the_same_articles(golden_content) -> None:
    data = json.loads(json_text(golden_content))
    copies = sum(len(a["also_published_by"]) for a in data["articles"])
    assert copies, "the golden store has a syndicated copy"
    said = (
        f"{len(data['flags'])} flag(s), {len(data['articles'])} new article(s) "
        f"(and {copies} syndicated {'copy' if copies == 1 else 'copies'} of them), "
        f"{len(data['revised'])} revised article(s)."
    )
    assert said in markdown(golden_content, WATCHED)
    assert said in lxml.html.document_fromstring(html(golden_content, WATCHED)).text_content()
    assert f"{len(data['articles'])} new article(s)" in subject_line(golden_content, WATCHED)


def test_a_revision_note_reads_once(golden_content) -> None:
    page = markdown(golden_content, WATCHED)
    notes = [f["revision"] for f in golden_content.flags if f["revision"]]
    assert notes and "Revision: revised" not in page and "): revised:" not in page
    text = lxml.html.document_fromstring(html(golden_content, WATCHED)).text_content()
    assert "Revisionrevised" not in text.replace(" ", "") and "): revised:" not in text
    assert "- Revision: the previous version said" in page


def test_digest_since_goes_by_publication_date_not_crawl_time(tmp_path: Path) -> None:
    cli = _cli(tmp_path, database_url(tmp_path, "since"), folder=None)
    pages = {
        "old": ("2020-03-01", "HKSTP at ten", "The park is home to 1,000 park companies."),
        "new": ("2024-08-01", "HKSTP grows again", "It now counts 1,200 park companies."),
    }
    for name, (published, title, figure) in pages.items():
        page = tmp_path / f"{name}.txt"
        page.write_text(
            f"{title}\nHong Kong Science Park (HKSTP) writes about its year. {figure}\n",
            encoding="utf-8",
        )
        url = f"https://news.example.com/{name}"
        cli("ingest", str(page), "--url", url, "--published", published)
    everything = json.loads(cli("digest", "--format", "json").stdout)
    assert len(everything["articles"]) == 2 and len(everything["flags"]) == 2
    since = json.loads(cli("digest", "--since", "2024-01-01", "--format", "json").stdout)
    assert [a["url"] for a in since["articles"]] == ["https://news.example.com/new"]
    assert [(f["kind"], f["as_of"]) for f in since["flags"]] == [("changed", "2024-08-01")]
    text = cli("digest", "--since", "2024-01-01").stdout
    assert "1 flag(s), 1 new article(s)" in text and "news.example.com/old" in text  # as before
    assert (
        json.loads(cli("digest", "--since", "2025-01-01", "--format", "json").stdout)["articles"]
        == []
    )
    assert "publi" in cli("digest", "--help").stdout.split("--since", 1)[1][:200]
