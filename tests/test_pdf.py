"""PDF documents: read in order, tables as sentences, Chinese kept, and every failure named."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from crawler.clean import clean_document
from crawler.errors import CleaningError
from crawler.pdf import PdfLimits, is_pdf, read_pdf
from samplesite.articles import articles
from samplesite.papers import broken_pdf, paper_pdf
from tests.conftest import Cli, write_config


def _paper(language: str, edition: int = 1) -> bytes:
    article = next(a for a in articles() if a.extra.get("pdf") and a.language == language)
    return paper_pdf(article, edition)


def test_english_paper_keeps_reading_order_and_reads_its_table_as_sentences() -> None:
    page = clean_document(_paper("en"), "paper.pdf", "application/pdf")
    lines = page.text.splitlines()
    order = ["Purpose", "Tenancy and space", "Incubation", "Advice sought"]
    assert [lines.index(heading) for heading in order] == sorted(
        lines.index(heading) for heading in order
    )
    table = lines.index("Number of park companies is about 1,700.")
    assert lines[table - 1] == "Item: Position as at 31 March 2024."
    assert lines[table + 2] == "Occupancy rate of the Science Park is 88%."
    # wrapped lines are one paragraph again
    assert any(
        line.startswith("This paper briefs") and line.endswith("research space.") for line in lines
    )
    assert page.date == datetime.date(2024, 4, 15)
    assert page.title is not None and page.title.startswith("Legislative Council Panel")
    assert page.language == "en"


def test_chinese_paper_is_read_whole_by_its_magic_bytes() -> None:
    body = _paper("zh")
    assert is_pdf(body, "application/octet-stream")
    page = clean_document(body, "paper", "application/octet-stream")
    assert "園區公司數目為約1,800家。" in page.text.splitlines()
    assert "科學園出租率為93%。" in page.text.splitlines()
    assert "截至2024年6月底，園區的主要數字載列於下表。" in page.text  # no space, no stray line
    assert page.language == "zh"
    assert page.date == datetime.date(2024, 7, 8)


def test_edition_two_revises_the_english_paper() -> None:
    assert "is 94%." in clean_document(_paper("en", 2), "paper.pdf").text
    assert "is 88%." in clean_document(_paper("en", 1), "paper.pdf").text


def test_a_pdf_is_known_by_type_or_magic_bytes_never_by_url() -> None:
    assert is_pdf(b"junk", "application/pdf; charset=binary")
    assert is_pdf(b"\xef\xbb\xbf%PDF-1.7\n", None)
    assert not is_pdf(b"<html><body>paper.pdf</body></html>", "text/html")
    assert not is_pdf(b"<html><body><p>Save as %PDF-1.7 first.</p></body></html>", "text/html")
    assert is_pdf(b"%PDF-1.4\n...", "text/html; charset=utf-8")  # a misconfigured server
    page = clean_document(
        b"<html><head><title>Landing</title></head><body><article><p>"
        + b"The paper is available on request from the Secretariat. " * 5
        + b"</p></article></body></html>",
        "https://example.org/paper.pdf",
        "text/html",
    )
    assert page.title == "Landing"


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("encrypted", "encrypted PDF"),
        ("scanned", "image-only PDF"),
        ("truncated", "broken PDF"),
    ],
)
def test_unreadable_pdfs_are_cleaning_errors_with_their_reason(kind: str, reason: str) -> None:
    with pytest.raises(CleaningError, match=reason) as caught:
        clean_document(broken_pdf(kind), f"https://example.org/{kind}.pdf", "application/pdf")
    assert f"https://example.org/{kind}.pdf" in str(caught.value)


def test_caps_on_bytes_pages_and_time() -> None:
    body = _paper("en")
    with pytest.raises(CleaningError, match="exceeds the cap of 1000"):
        read_pdf(body, "big.pdf", PdfLimits(max_bytes=1000))
    long = broken_pdf("long")
    assert read_pdf(long, "long.pdf", PdfLimits(max_pages=5)).pages == 5
    with pytest.raises(CleaningError, match="more than the cap of 4"):
        read_pdf(long, "long.pdf", PdfLimits(max_pages=4))
    with pytest.raises(CleaningError, match="took more than the cap"):
        read_pdf(long, "long.pdf", PdfLimits(max_seconds=0.000001))


def test_pressmon_clean_reads_a_pdf_and_names_a_broken_one(tmp_path: Path) -> None:
    paper, broken = tmp_path / "paper.pdf", tmp_path / "broken.pdf"
    paper.write_bytes(_paper("zh"))
    broken.write_bytes(broken_pdf("encrypted"))
    cli = Cli(write_config(tmp_path / "config.yaml", "http://127.0.0.1:9"), "sqlite://", tmp_path)
    result = cli("clean", str(paper), str(broken), "--json", check=False)
    assert result.returncode == 1
    [error] = result.stderr.strip().splitlines()
    assert "broken.pdf" in error and "encrypted PDF" in error
    [record] = json.loads(result.stdout)
    assert record["language"] == "zh" and record["date"] == "2024-07-08"
    assert "科學園出租率為93%。" in record["text"]
