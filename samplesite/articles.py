"""The sample newsroom's articles as data: load content/*.md and say what each edition holds.

Sits under the server: `index` says which source lists what and builds the site's own
manifest (`PageInfo`, defined here) from it; `render` turns the articles into pages and feeds.
Each content file is YAML front matter plus a body (blank-line paragraphs, `## ` headings,
`- ` list items); a file may copy another release's body (`copy_of`) and add its own text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

SITES = ("newsroom", "wire", "blog", "gov", "news")
EDITIONS = (1, 2)


@dataclass(frozen=True)
class PageInfo:
    """One article page as the site itself knows it (the ground truth for crawl tests)."""

    path: str
    site: str
    title: str
    published: dt.date | None
    language: str
    relevant: bool
    syndication: str | None
    revised: bool
    discovered_by: tuple[str, ...]
    # HKSTP's catalogue figures this edition's text states: dicts with metric, value,
    # qualifier, unit and text (see README "Figure labels"); left out of the hash
    figures: tuple[dict, ...] = field(default=(), hash=False)
    pdf: bool = False  # served as a PDF document (samplesite.papers), not an HTML page


@dataclass(frozen=True)
class Article:
    """One content file, as written; `in_edition` gives the text an edition serves."""

    id: str
    site: str
    path: str
    title: str
    published: dt.date | None
    modified: dt.date
    lang: str  # BCP 47 tag for <html lang>: en, zh-Hant, zh-Hans
    relevant: bool
    body: str
    author: str | None = None
    syndication: str | None = None
    editions: tuple[int, ...] = EDITIONS
    moved_to: str | None = None  # from edition 2 the page lives here; `path` redirects
    revision: tuple[tuple[str, str], ...] = ()  # (old, new) replacements from edition 2
    revised_on: dt.date | None = None
    encoding: str = "utf-8"
    summary: str = ""
    extra: dict = field(default_factory=dict)
    figures: tuple[dict, ...] = ()  # HKSTP's catalogue figures the text states (labels)
    figures_edition_2: tuple[dict, ...] | None = None  # labels of the revised text, if they differ

    @property
    def language(self) -> str:
        return "zh" if self.lang.startswith("zh") else "en"

    def path_in(self, edition: int) -> str:
        return self.moved_to if self.moved_to and edition >= 2 else self.path

    def text_in(self, edition: int) -> str:
        text = self.body
        if edition >= 2:
            for old, new in self.revision:
                text = text.replace(old, new)
        return text

    def figures_in(self, edition: int) -> tuple[dict, ...]:
        """The labelled figures of the text `edition` serves."""
        if edition >= 2 and self.figures_edition_2 is not None:
            return self.figures_edition_2
        return self.figures

    def modified_in(self, edition: int) -> dt.date:
        if edition >= 2 and self.revised_on:
            return self.revised_on
        return self.modified


LABEL_KEYS = ("metric", "value", "qualifier", "unit", "text")


def _labels(ident: str, meta: dict, key: str, text: str) -> tuple[dict, ...] | None:
    """Front-matter figure labels, checked: the five keys, and `text` verbatim in the body."""
    if key not in meta:
        return None
    labels = tuple(dict(label) for label in meta[key] or ())
    for label in labels:
        if tuple(label) != LABEL_KEYS:
            raise ValueError(f"content/{ident}.md: {key} entry needs keys {LABEL_KEYS}: {label}")
        if label["text"] not in text:
            raise ValueError(f"content/{ident}.md: {key} text not in the body: {label['text']!r}")
    return labels


def _read(name: str) -> tuple[dict, str]:
    raw = resources.files("samplesite").joinpath("content", name).read_text(encoding="utf-8")
    _, front, body = raw.split("---\n", 2)
    return yaml.safe_load(front), body.strip()


@cache
def articles() -> tuple[Article, ...]:
    """Every article of every edition, in file order (private pages included)."""
    folder = resources.files("samplesite").joinpath("content")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".md"))
    loaded = {name.removesuffix(".md"): _read(name) for name in names}
    result = []
    for ident, (meta, body) in loaded.items():
        if "copy_of" in meta:
            source = loaded[meta["copy_of"]][1]
            body = f"{source}\n\n{body}" if body else source
        encoding = meta.get("encoding", "utf-8")
        try:
            (meta["title"] + body).encode(encoding)
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"content/{ident}.md: text not encodable in {encoding}: {exc}"
            ) from None
        published = meta.get("published")
        modified = meta.get("modified", published)
        if modified is None:
            raise ValueError(f"content/{ident}.md: an undated article needs `modified`")
        revision = meta.get("revision") or {}
        revised_body = body
        for old, new in revision.get("replace", []):
            revised_body = revised_body.replace(old, new)
        result.append(
            Article(
                id=ident,
                site=meta["site"],
                path=meta["path"],
                title=meta["title"],
                published=published,
                modified=modified,
                lang=meta.get("lang", "en"),
                relevant=meta["relevant"],
                body=body,
                author=meta.get("author"),
                syndication=meta.get("syndication"),
                editions=tuple(meta.get("editions", EDITIONS)),
                moved_to=meta.get("moved_to"),
                revision=tuple((old, new) for old, new in revision.get("replace", [])),
                revised_on=revision.get("on"),
                encoding=encoding,
                summary=meta.get("summary", ""),
                extra=meta.get("extra", {}),
                figures=_labels(ident, meta, "figures", body) or (),
                figures_edition_2=_labels(ident, meta, "figures_edition_2", revised_body),
            )
        )
    return tuple(result)


def in_edition(edition: int, site: str | None = None) -> list[Article]:
    """Articles served in an edition (private ones have site 'private'), newest first."""
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}: {edition!r}")
    chosen = [a for a in articles() if edition in a.editions and site in (None, a.site)]
    return sorted(chosen, key=lambda a: (a.published or dt.date.min, a.id), reverse=True)
