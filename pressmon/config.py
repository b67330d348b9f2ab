"""config.yaml: read once, validated into typed frozen objects, defaults in code.

Only the application shell reads the file; each stage gets the piece it
defines (`crawler` its `Source`, `CrawlSettings` and `Watch`, `store` its URL).
A wrong key stops the program with one line naming the key path and why.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crawler.relevance import Watch
from crawler.settings import CrawlSettings
from crawler.sources import Source
from digest.settings import DigestSettings
from figures.catalogue import Catalogue, read_yaml
from figures.settings import FiguresSettings
from pressmon.errors import CatalogueError, ConfigError
from scheduler.settings import SchedulerSettings
from web.settings import WebSettings

DEFAULT_PATH = Path("config.yaml")
CONFIG_ENV = "PRESSMON_CONFIG"
DB_ENV = "PRESSMON_DB"


class StoreSettings(BaseModel):
    """Where articles are kept."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(
        "sqlite:///data/pressmon.db",
        description=(
            "SQLAlchemy database URL; a relative SQLite path is relative to the folder "
            "config.yaml is in."
        ),
    )


class Config(BaseModel):
    """The whole of config.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    watch: Watch = Field(..., description="The organisation to watch.")
    sources: tuple[Source, ...] = Field(..., min_length=1, description="Where to look.")
    crawl: CrawlSettings = Field(default_factory=CrawlSettings, description="How to fetch.")
    store: StoreSettings = Field(default_factory=StoreSettings, description="Where to keep.")
    digest: DigestSettings = Field(
        default_factory=DigestSettings, description="When digests are made and where they go."
    )
    scheduler: SchedulerSettings = Field(
        default_factory=SchedulerSettings, description="How `pressmon run` runs its jobs."
    )
    web: WebSettings = Field(default_factory=WebSettings, description="The web app.")
    figures: FiguresSettings = Field(
        default_factory=FiguresSettings,
        description="How figures are compared, and catalogue keys replacing the shipped ones.",
    )

    @cached_property
    def catalogue(self) -> Catalogue:
        """The metric catalogue: shipped defaults with this file's `figures` keys over them,
        knowing the watched organisation by the names `watch` gives it."""
        return self.figures.catalogue().watching((self.watch.name, *self.watch.aliases))

    @property
    def window_days(self) -> int:
        return self.figures.window_days

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: tuple[Source, ...]) -> tuple[Source, ...]:
        names = [s.name for s in sources]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"source names must be unique: {', '.join(duplicates)}")
        return sources

    def select_sources(self, names: list[str] | tuple[str, ...] = ()) -> list[Source]:
        """The enabled sources, or exactly those named; an unknown name is an error."""
        if not names:
            return [s for s in self.sources if s.enabled]
        by_name = {s.name: s for s in self.sources}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise ConfigError(
                f"unknown source {', '.join(unknown)}; configured: {', '.join(by_name)}"
            )
        return [by_name[n] for n in names]


def _where(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def parse_config(data: Any, origin: str) -> Config:
    """Validate a loaded mapping; errors name `origin` and the key path."""
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping of sections at the top level")
    try:
        config = Config.model_validate(data)
        config.catalogue  # noqa: B018 - validate the catalogue now, not mid-crawl
        return config
    except (ConfigError, CatalogueError) as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{origin}: {_where(first['loc'])}: {message}{more}") from None


def resolve_path(path: str | os.PathLike[str] | None) -> Path:
    """--config, else $PRESSMON_CONFIG, else ./config.yaml."""
    return Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_PATH)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate config.yaml; raises ConfigError with one clear line."""
    resolved = resolve_path(path)
    try:
        text = resolved.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"no config file at {resolved.resolve()} (looked at --config, ${CONFIG_ENV}, "
            f"then ./config.yaml)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {resolved}: {exc}") from None
    try:
        data = read_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", exc)
        raise ConfigError(f"{resolved}:{where}: not valid YAML ({problem})") from None
    return anchored(parse_config(data, str(resolved)), resolved.parent)


def anchored(config: Config, folder: Path) -> Config:
    """The config with a relative SQLite path in `store.url` made relative to `folder` (the
    config file's), so every command finds the same store from any working directory."""
    from store.database import anchored_url  # only once a config is read, not for --help

    url = anchored_url(config.store.url, folder)
    if url == config.store.url:
        return config
    return config.model_copy(update={"store": StoreSettings(url=url)})
