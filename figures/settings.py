"""The figures stage's settings: config.yaml's `figures:` section, typed.

`window_days` is the record's own setting; every other key replaces the shipped
catalogue's key of that name (figures/catalogue.yaml), and `load_catalogue`
validates what it holds. Each key is listed here so that the documentation test
sees it and a misspelt key is refused at load.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from figures.catalogue import Catalogue, load_catalogue

_OVERRIDE = "replaces the shipped catalogue's `{}` (figures/catalogue.yaml)"


def _override(key: str, what: str) -> Any:
    return Field(None, description=f"{what}; {_OVERRIDE.format(key)}.")


class FiguresSettings(BaseModel):
    """How figures are compared, and any catalogue keys the user replaces."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window_days: int = Field(
        30,
        ge=0,
        strict=True,
        description="Statements of one series this many days apart or closer must agree, "
        "else they are flagged as a conflict.",
    )
    metrics: Any = _override("metrics", "Metrics and their wordings, merged by `key`")
    watched: Any = _override("watched", "Wordings that name the watched organisation")
    watched_sites: Any = _override("watched_sites", "Names of the watched organisation's sites")
    anaphors: Any = _override("anaphors", "Words pointing back to a named place or company")
    company_suffixes: Any = _override("company_suffixes", "Endings that make a name a company")
    place_suffixes: Any = _override("place_suffixes", "Endings that make a name a place")
    subjects: Any = _override("subjects", "Other subjects a sentence may credit, merged by `name`")
    landmark: Any = _override("landmark", "Words that make a name a landmark")
    money_other: Any = _override("money_other", "Money cues that are not the organisation's")
    uncounted: Any = _override("uncounted", "Counted nouns no one counts about an organisation")

    def catalogue_data(self) -> dict[str, Any]:
        """The catalogue keys this file sets, for `load_catalogue` to lay over the default."""
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if k != "window_days"}

    def catalogue(self) -> Catalogue:
        """The metric catalogue: shipped defaults with these keys over them."""
        return load_catalogue(self.catalogue_data())
