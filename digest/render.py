"""Render: a DigestContent as Markdown, HTML (for mail clients) and JSON; pure functions.

Second step of the digest stage. Article titles and text are untrusted: the
HTML template autoescapes everything, and Markdown escapes the characters that
would turn text into markup or raw HTML.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

from digest.content import DigestContent

KIND_TITLES = {
    "changed": "Changed",
    "conflict": "Conflict",
    "outdated": "Outdated",
    "new": "New figure",
}
QUALIFIER_MARKS = {"at_least": "≥ ", "at_most": "≤ ", "about": "~ ", "exact": ""}
MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>#|!])")


@dataclass(frozen=True)
class Rendered:
    """One digest in every form a channel sends."""

    subject: str
    markdown: str
    html: str
    json: str


def figure(value: int | float | None, qualifier: str | None, unit: str | None) -> str:
    """A stated figure for people: "≥ 1,100", "~ 13,000", "68,000,000,000 HKD"."""
    if value is None:
        return "—"
    suffix = "" if unit in (None, "count") else f" {unit}"
    return f"{QUALIFIER_MARKS.get(qualifier or 'exact', '')}{value:,}{suffix}"


def change(delta: int | float | None, percent: int | float | None) -> str:
    if delta is None:
        return ""
    return f"{delta:+,}" + (f" ({percent:+}%)" if percent is not None else "")


def href(url: str | None) -> str:
    """A link target from untrusted input: http(s) only, so no `javascript:` ever links."""
    url = (url or "").strip()
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return ""
    return url.replace(" ", "%20").replace(">", "%3E").replace("<", "%3C").replace('"', "%22")


def revision(note: str | None) -> str:
    """A flag's revision note under a "Revision" label: what the previous version said,
    without the note's own "revised:" lead, which the label already says."""
    return (note or "").removeprefix("revised: ")


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "the beginning"


def escape_markdown(text: str | None) -> str:
    """Untrusted text inside Markdown: markup characters and raw HTML become literal."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text or "").replace("\n", " ")


def subject_line(content: DigestContent, watched: str) -> str:
    counts = content.counts()
    return (
        f"{watched} digest: {counts['flags']} flag(s), {counts['articles']} new article(s), "
        f"{counts['revised']} revised — {content.period.end:%Y-%m-%d}"
    )


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("digest", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        figure=figure, change=change, href=href, when=when, md=escape_markdown, revision=revision
    )
    env.globals["KIND_TITLES"] = KIND_TITLES
    return env


_MARKDOWN = _environment(autoescape=False)
_HTML = _environment(autoescape=True)


def _context(content: DigestContent, watched: str) -> dict[str, Any]:
    return {
        "watched": watched,
        "period": content.period,
        "counts": content.counts(),
        "flags": content.flags,
        "articles": content.articles,
        "revised": content.revised,
        "subject": subject_line(content, watched),
    }


def markdown(content: DigestContent, watched: str) -> str:
    """The digest as Markdown; also the text/plain part of the e-mail."""
    text = _MARKDOWN.get_template("digest.md.j2").render(_context(content, watched))
    return re.sub(r"\n{3,}", "\n\n", text)


def html(content: DigestContent, watched: str) -> str:
    """The digest as one HTML page with inline styles and no scripts, for mail clients."""
    return _HTML.get_template("digest.html.j2").render(_context(content, watched))


def json_text(content: DigestContent) -> str:
    """`{"period": ..., "flags": [...], "articles": [...], "revised": [...]}`."""
    return json.dumps(content.to_json(), ensure_ascii=False, indent=2)


def render(content: DigestContent, watched: str) -> Rendered:
    return Rendered(
        subject=subject_line(content, watched),
        markdown=markdown(content, watched),
        html=html(content, watched),
        json=json_text(content),
    )
