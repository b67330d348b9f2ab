"""What every CLI command shares: the `App` context object and the command helpers.

`pressmon.cli` and each `*_cli` module build their commands from here, and
`cli.py` adds them all to the `pressmon` group, so no command module needs to
import the module that gathers them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from pressmon.config import CONFIG_ENV, DB_ENV, Config, load_config
from pressmon.errors import EXPECTED, InputError

if TYPE_CHECKING:
    from rich.console import Console

    from store import Store


class App:
    """What every command needs, built lazily: the config, the store and the consoles.

    A config named on purpose (--config, $PRESSMON_CONFIG) is read and validated at once,
    even when --db leaves nothing to take from it: a typo there is never ignored. The
    store is created only for commands that write (`creates_store`); the others open an
    existing one or say how to make it.
    """

    def __init__(
        self, config_path: str | None, db_url: str | None, *, creates_store: bool = False
    ) -> None:
        self.config_path = config_path
        self.db_url = db_url
        self.creates_store = creates_store
        self._config: Config | None = None
        if config_path is not None:
            self._config = load_config(config_path)
        self._store: Store | None = None
        self._out: Console | None = None
        self._err: Console | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def store(self) -> Store:
        if self._store is None:
            from store import Store

            self._store = Store(self.db_url or self.config.store.url, create=self.creates_store)
        return self._store

    @property
    def out(self) -> Console:
        """Where tables and summaries go (stdout)."""
        if self._out is None:
            from pressmon.report import stdout_console

            self._out = stdout_console()
        return self._out

    @property
    def err(self) -> Console:
        """Where live progress goes (stderr), so stdout stays clean for pipes."""
        if self._err is None:
            from pressmon.report import stderr_console

            self._err = stderr_console()
        return self._err


def command(
    name: str, group: click.Group | None = None, *, creates_store: bool = False, **kwargs: Any
) -> Callable[[Callable[..., Any]], click.Command]:
    """A command with --config and --db, whose expected errors become one line.

    The function gets an `App` first. The command is added to `group` when one is
    given; otherwise it stands alone until a group adds it (`cli.py` does). Only a
    command that writes (`creates_store`) makes a store that does not exist yet.
    """

    def decorate(func: Callable[..., Any]) -> click.Command:
        @click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False),
            envvar=CONFIG_ENV,
            help="config.yaml to use [env PRESSMON_CONFIG].",
        )
        @click.option(
            "--db",
            "db_url",
            envvar=DB_ENV,
            help="Database URL, overriding store.url [env PRESSMON_DB].",
        )
        @functools.wraps(func)
        def wrapper(config_path: str | None, db_url: str | None, **params: Any) -> Any:
            try:
                app = App(config_path, db_url, creates_store=creates_store)
                return func(app, **params)
            except EXPECTED as exc:
                raise click.ClickException(str(exc)) from None

        made: click.Command = click.command(name, **kwargs)(wrapper)
        if group is not None:
            group.add_command(made)
        return made

    return decorate


def parse_date(value: str | None, option: str = "--since") -> date | None:
    """An ISO date from the command line, or one clear line saying what was expected."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r}: expected a date like 2024-07-19") from None


def dump(rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows as one indented JSON array on stdout (dates and the like as strings)."""
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
