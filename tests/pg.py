"""A private PostgreSQL cluster for the tests: started on 127.0.0.1, thrown away after.

Debian's server binaries (`apt-get install postgresql`) are run directly with
`initdb` and `pg_ctl` on a temporary directory, so no system service is touched.
PostgreSQL refuses to run as root, so as root the cluster belongs to the
`postgres` user the Debian package creates.
"""

from __future__ import annotations

import atexit
import functools
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "pressmon"


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install -y postgresql")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """One running cluster; `url(name)` addresses a database in it."""

    folder: Path
    port: int
    bindir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-qAtc",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout.strip()

    def stop(self) -> None:
        self._as_owner("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _as_owner(self, tool: str, *args: str) -> None:
        _run(self.bindir / tool, *args)


def _run(binary: Path, *args: str) -> None:
    command = [str(binary), *args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, capture_output=True, check=True, timeout=120)


def start() -> Cluster:
    """initdb and start a cluster with fsync off (test data need not survive a power cut)."""
    bindir = _bindir()
    folder = Path(tempfile.mkdtemp(prefix="pressmon-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", _free_port()
    _run(
        bindir / "initdb",
        "-D",
        str(data),
        "-U",
        SUPERUSER,
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
    )
    options = (
        f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    _run(
        bindir / "pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"
    )
    return Cluster(folder, port, bindir)


MIGRATED = "pressmon_template"
_names = itertools.count(1)


@functools.cache
def shared() -> Cluster:
    """The test session's one cluster, with a migrated template database to copy."""
    from store import Store

    cluster = start()
    atexit.register(cluster.stop)
    # Each test's database is a copy of one already migrated: cheaper than migrating each.
    cluster.psql(f"CREATE DATABASE {MIGRATED}")
    Store(cluster.url(MIGRATED)).close()
    return cluster


def new_database(name: str, template: str) -> str:
    """A new database in the shared cluster, copied from `template`; its URL."""
    cluster = shared()
    database = f"{name}_{os.getpid()}_{next(_names)}"
    cluster.psql(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
    return cluster.url(database)
