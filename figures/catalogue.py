"""The figures stage's settings: metric wordings and subject cues, typed and frozen.

The app shell passes config.yaml's `figures:` mapping to `load_catalogue`; without
one, the default in catalogue.yaml (next to this module) applies. Extraction
(figures.extract, figures.subjects) reads only the `Catalogue` this returns.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any, Literal

import pydantic
import yaml
from pydantic import ConfigDict, TypeAdapter

from figures import script
from figures.errors import CatalogueError
from figures.model import Unit

__all__ = [
    "Catalogue",
    "Label",
    "MetricDef",
    "SubjectDef",
    "Wordings",
    "load_catalogue",
    "read_yaml",
    "simplify",
]

DEFAULT_PATH = Path(__file__).with_name("catalogue.yaml")
SubjectKind = Literal["place", "part", "programme", "government", "city"]
Period = Literal["one_year", "cumulative"]
_STRICT = ConfigDict(extra="forbid")


def read_yaml(source: str | IO[str]) -> Any:
    """YAML read safely, by libyaml when PyYAML was built with it: the shipped catalogue
    and language packs take 5 ms that way, 44 ms with PyYAML's pure-Python parser, in
    every command and every cleaning process that reads them."""
    return yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def simplify(text: str) -> str:
    """Traditional Chinese characters as Simplified, same length (offsets stay valid)."""
    return script.simplify(text)


@dataclass(frozen=True)
class Wordings:
    """The same cue in English and in Chinese (either script)."""

    __pydantic_config__ = _STRICT
    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()

    def for_language(self, language: str) -> tuple[str, ...]:
        """Chinese text also quotes English names, so zh gets both lists."""
        if language == "zh":
            return tuple(simplify(w) for w in self.zh) + self.en
        return self.en


@dataclass(frozen=True)
class Label:
    """What people read for a metric, in each language the app writes."""

    __pydantic_config__ = _STRICT
    en: str
    zh: str

    def for_language(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class MetricDef:
    """One catalogue metric: a stable key, its label and the words that state it."""

    __pydantic_config__ = _STRICT
    key: str
    label: Label | None = None  # every shipped metric has one; a user's may go without
    help: str = ""
    units: tuple[Unit, ...] = ("count",)
    wordings: Wordings = field(default_factory=Wordings)
    context: Wordings = field(default_factory=Wordings)
    requires: Wordings = field(default_factory=Wordings)
    refines: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    default_for: tuple[Unit, ...] = ()
    measures: tuple[str, ...] = ()
    unless: Wordings = field(default_factory=Wordings)
    period: Period | None = None


@dataclass(frozen=True)
class SubjectDef:
    """Something other than the watched organisation that a sentence may credit."""

    __pydantic_config__ = _STRICT
    name: str
    kind: SubjectKind
    wordings: Wordings
    position: Literal["anywhere", "clause_start", "before_number"] = "anywhere"


@dataclass(frozen=True)
class Anaphors:
    """Words that point back to the last named place or company."""

    __pydantic_config__ = _STRICT
    place: Wordings = field(default_factory=Wordings)
    company: Wordings = field(default_factory=Wordings)
    part: Wordings = field(default_factory=Wordings)


@dataclass(frozen=True)
class Landmark:
    """Words that make a name a landmark: said before it ("next to") or after it (旁邊)."""

    __pydantic_config__ = _STRICT
    before: Wordings = field(default_factory=Wordings)
    after: Wordings = field(default_factory=Wordings)


@dataclass(frozen=True)
class Catalogue:
    """Everything figure extraction needs to know about metrics and subjects."""

    __pydantic_config__ = _STRICT
    metrics: tuple[MetricDef, ...]
    watched: Wordings = field(default_factory=Wordings)
    watched_sites: Wordings = field(default_factory=Wordings)
    anaphors: Anaphors = field(default_factory=Anaphors)
    company_suffixes: tuple[str, ...] = ()
    place_suffixes: tuple[str, ...] = ()
    subjects: tuple[SubjectDef, ...] = ()
    landmark: Landmark = field(default_factory=Landmark)
    money_other: Wordings = field(default_factory=Wordings)
    uncounted: Wordings = field(default_factory=Wordings)

    def watching(self, names: Iterable[str]) -> Catalogue:
        """This catalogue with more names of the watched organisation (config.yaml's
        watch aliases): Chinese names go to zh, the rest to en. Extraction then knows
        an organisation from its configuration alone."""
        names = tuple(dict.fromkeys(n for n in names if n.strip()))
        zh = tuple(n for n in names if not n.isascii())
        en = tuple(n for n in names if n.isascii())
        watched = Wordings(
            en=tuple(dict.fromkeys((*self.watched.en, *en))),
            zh=tuple(dict.fromkeys((*self.watched.zh, *zh))),
        )
        return dataclasses.replace(self, watched=watched)

    def metric(self, key: str) -> MetricDef:
        """The metric with this key (KeyError if the catalogue has none)."""
        for metric in self.metrics:
            if metric.key == key:
                return metric
        raise KeyError(key)

    def labels(self, language: str = "en") -> dict[str, str]:
        """Metric key -> its label in `language` ("en" or "zh")."""
        return {m.key: m.label.for_language(language) for m in self.metrics if m.label is not None}


_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@cache
def _default_data() -> dict[str, Any]:
    with DEFAULT_PATH.open(encoding="utf-8") as handle:
        data: dict[str, Any] = read_yaml(handle)
    return data


def _merge(default: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """User keys replace default ones; metrics and subjects merge by key / name.

    A user metric entry replacing a shipped one keeps the shipped label if it has none.
    """
    merged = dict(default)
    for name, value in data.items():
        ident = {"metrics": "key", "subjects": "name"}.get(name)
        if ident and isinstance(value, list) and isinstance(default.get(name), list):
            entries = {e.get(ident): e for e in default[name]}
            extra: list[Any] = []
            for entry in value:
                key = entry.get(ident) if isinstance(entry, Mapping) else None
                if key in entries and key is not None:
                    # a user's entry for a shipped metric keeps its label unless it gives one
                    shipped = entries[key]
                    entries[key] = (
                        {"label": shipped["label"], **entry} if "label" in shipped else entry
                    )
                else:
                    extra.append(entry)
            merged[name] = [*entries.values(), *extra]
        else:
            merged[name] = value
    return merged


def _where(loc: tuple[int | str, ...]) -> str:
    path = "figures"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def load_catalogue(data: Mapping[str, Any] | None = None) -> Catalogue:
    """The catalogue from config.yaml's `figures:` mapping, over the shipped default.

    Raises CatalogueError naming the first bad key, e.g. "figures.metrics[3].key: ...".
    """
    if data is not None and not isinstance(data, Mapping):
        raise CatalogueError(f"figures: expected a mapping, got {type(data).__name__}")
    raw = _merge(_default_data(), data or {})
    try:
        catalogue = TypeAdapter(Catalogue).validate_python(raw)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        raise CatalogueError(f"{_where(error['loc'])}: {error['msg']}") from None
    keys: set[str] = set()
    for i, metric in enumerate(catalogue.metrics):
        if not _KEY_RE.match(metric.key):
            raise CatalogueError(
                f"figures.metrics[{i}].key: {metric.key!r} is not a lowercase_with_underscores key"
            )
        for language in ("en", "zh"):
            if metric.label is not None and not getattr(metric.label, language).strip():
                raise CatalogueError(
                    f"figures.metrics[{i}].label.{language}: {metric.key!r} needs a label "
                    "in English and in Chinese"
                )
        if metric.key in keys:
            raise CatalogueError(f"figures.metrics[{i}].key: {metric.key!r} appears twice")
        keys.add(metric.key)
    for i, metric in enumerate(catalogue.metrics):
        for ref in metric.refines:
            if ref not in keys:
                raise CatalogueError(f"figures.metrics[{i}].refines: unknown metric {ref!r}")
        if metric.period and not metric.refines:
            raise CatalogueError(
                f"figures.metrics[{i}].period: {metric.key!r} needs `refines`, the metric "
                "whose amounts over that period it takes"
            )
    return catalogue
