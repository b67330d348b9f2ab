"""`pressmon serve` answers readers at once, each on its own pooled connection: a request
waiting for the database (here, a write blocked by another process's lock) holds up no
other request, SQLite readers read beside an open write (WAL), and 16 clients at once get
the answers one client gets. A real server process over a real store (PRESSMON_TEST_DB)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from store import Store
from store import writes as w
from tests.conftest import ROOT, database_url
from tests.test_paging import _add

MIX = [
    "/api/articles",
    "/api/articles?lang=zh",
    "/api/articles?q=zeolite",
    "/api/articles?q=Science+Park&order=relevance",
    "/api/articles?q=%E7%A7%91%E5%AD%B8%E5%9C%92",
    "/api/flags?state=open",
    "/articles?q=HKSTP",
]


@pytest.fixture(params=[1, 2], ids=["1 worker", "2 workers"])
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Store, int, int]]:
    """A store of 60 articles and one open flag, served by `pressmon serve --workers N`;
    (store, port, flag id). Stopping the server stops every worker."""
    store = Store(database_url(tmp_path))
    rows = [
        (f"c{n}", date(2024, 1 + n % 12, 1 + n % 28), "zh" if n % 3 == 0 else "en", body)
        for n in range(60)
        for body in ["科學園的初創企業 HKSTP" if n % 3 == 0 else "HKSTP Science Park zeolite"]
    ]
    ids = _add(store, rows)
    with store.session() as s:
        version = s.execute(
            text("SELECT id FROM article_version WHERE article_id = :a"), {"a": ids[0]}
        ).scalar_one()
        mention = w.add_mentions(
            s,
            [
                {
                    "version_id": version,
                    "article_id": ids[0],
                    "subject": "HKSTP",
                    "metric": "companies",
                    "value": Decimal(1800),
                    "qualifier": "exact",
                    "low": None,
                    "high": None,
                    "unit": "count",
                    "text": "1,800",
                    "start": 0,
                    "end": 5,
                    "sentence": "HKSTP has 1,800 companies.",
                    "as_of": date(2024, 1, 1),
                    "current": True,
                }
            ],
        )[0]
        flag = w.add_flags(
            s,
            [
                (
                    mention.id,
                    "new",
                    {"previous_id": None, "delta": None, "percent": None, "revision": None},
                )
            ],
            created=datetime(2024, 1, 2),
        )[0]
        flag_id = flag.id
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "pressmon", "serve", "--port", "0", "--db", store.url),
            *("--workers", str(request.param)),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PRESSMON_CONFIG": str(ROOT / "config.yaml")},
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    assert "http://" in line, line + (server.stderr.read() if server.stderr else "")
    port = int(line.split("http://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    yield store, port, flag_id
    server.terminate()
    server.communicate(timeout=30)  # and close its pipes
    deadline = time.monotonic() + 10
    while _listening(port) and time.monotonic() < deadline:  # a worker may take a moment
        time.sleep(0.1)
    assert not _listening(port), "a worker outlived the server"
    store.close()


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _get(port: int, path: str, method: str = "GET") -> tuple[int, bytes, float]:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"X-Pressmon-Client": "test", "Content-Type": "application/json"}
    connection.request(method, path, body=b"{}" if method == "POST" else None, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body, time.monotonic() - started


def test_a_request_waiting_on_a_lock_holds_up_no_other(served: tuple[Store, int, int]) -> None:
    store, port, flag_id = served
    with store.engine.connect() as blocker:
        # another process takes the write lock (SQLite) or the flag's row (PostgreSQL)
        if store.is_sqlite:
            blocker.exec_driver_sql("BEGIN IMMEDIATE")
            blocker.exec_driver_sql("UPDATE article SET relevance = 0.5")
        else:
            blocker.execute(text("SELECT id FROM flag WHERE id = :f FOR UPDATE"), {"f": flag_id})
        result: list[tuple[int, bytes, float]] = []
        waiting = threading.Thread(
            target=lambda: result.append(_get(port, f"/api/flags/{flag_id}/accept", "POST"))
        )
        waiting.start()
        time.sleep(0.5)  # the accept is now waiting for the lock
        assert waiting.is_alive()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda p: _get(port, p), MIX * 2))
        assert all(status == 200 for status, _, _ in answers), answers
        assert waiting.is_alive(), "the readers were answered while the write still waited"
        if store.is_sqlite:  # readers saw the committed store, not the open write
            listed = json.loads(_get(port, "/api/articles")[1])
            assert listed and all(a["id"] for a in listed)
        blocker.rollback()
    waiting.join(timeout=30)
    assert result and result[0][0] == 200, result
    assert json.loads(result[0][1])["state"] == "accepted"


def test_sixteen_clients_get_what_one_gets(served: tuple[Store, int, int]) -> None:
    _store, port, _flag = served
    alone = {path: _get(port, path)[1] for path in MIX if path.startswith("/api/")}
    paths = [p for p in MIX if p.startswith("/api/")] * 6
    with ThreadPoolExecutor(16) as pool:
        together = list(pool.map(lambda p: (p, _get(port, p)), paths))
    for path, (status, body, _took) in together:
        assert status == 200, (path, body[:200])
        assert json.loads(body) == json.loads(alone[path]), path


def _sockets_by_process(server_pid: int, port: int) -> dict[int, tuple[set[str], int]]:
    """For each process of the server: the listening sockets on `port` it holds and how many
    established connections (read from /proc: the sockets of /proc/net/tcp on that port,
    then each process's open fds)."""
    listening, established = set(), set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inode = f"socket:[{fields[9]}]"
                {"0A": listening, "01": established}.get(fields[3], set()).add(inode)
    pids = [server_pid] + [
        int(stat.parent.name)
        for stat in Path("/proc").glob("[0-9]*/stat")
        if _parent_of(stat) == server_pid
    ]
    held = {}
    for pid in pids:
        links = {_link(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        held[pid] = (links & listening, len(links & established))
    return held


def _parent_of(stat: Path) -> int | None:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _link(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:
        return ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_every_worker_takes_a_share_of_clients_arriving_together(tmp_path: Path) -> None:
    store = Store(database_url(tmp_path))
    _add(store, [("one", date(2024, 1, 1), "en", "HKSTP")])
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "pressmon", "serve", "--port", "0", "--db", store.url),
            *("--workers", "2"),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PRESSMON_CONFIG": str(ROOT / "config.yaml")},
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        port = int(line.split("http://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        time.sleep(1)  # both workers listening
        clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(16)]
        together = threading.Barrier(16)

        def ask(client: http.client.HTTPConnection) -> int:
            together.wait()
            client.request("GET", "/api/articles?limit=1")
            response = client.getresponse()
            response.read()
            return response.status

        with ThreadPoolExecutor(16) as pool:
            assert list(pool.map(ask, clients)) == [200] * 16
        held = _sockets_by_process(server.pid, port)
        for client in clients:
            client.close()
    finally:
        server.terminate()
        server.communicate(timeout=30)
        store.close()
    assert len(held) == 2, held
    (first, first_clients), (second, second_clients) = held.values()
    # each worker its own listening socket, which the kernel deals connections out to
    assert len(first) == len(second) == 1 and first != second, held
    assert first_clients + second_clients == 16
    assert first_clients and second_clients, f"one worker took every client: {held}"


def test_a_port_in_use_is_refused_for_several_workers_too(tmp_path: Path) -> None:
    """Sockets sharing a port (SO_REUSEPORT) would also share it with another server of the
    same user: a second `serve --workers 2` on a busy port must stop, not join it."""
    from pressmon.web_cli import worker_sockets

    first = worker_sockets("127.0.0.1", 0, 2)
    port = first[0].getsockname()[1]
    try:
        assert {s.getsockname()[1] for s in first} == {port}
        for workers in (1, 2):
            with pytest.raises(OSError):
                worker_sockets("127.0.0.1", port, workers)
        store = Store(database_url(tmp_path))
        result = subprocess.run(
            [
                *(sys.executable, "-m", "pressmon", "serve", "--port", str(port)),
                *("--db", store.url, "--workers", "2"),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PRESSMON_CONFIG": str(ROOT / "config.yaml")},
        )
        store.close()
        assert result.returncode != 0
        assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        for sock in first:
            sock.close()


def test_served_connections_send_without_waiting_for_acks() -> None:
    """A response's body must not wait for the client's delayed ACK of its headers: the
    listening socket is one asyncio sets TCP_NODELAY on for each connection it accepts."""
    import asyncio

    from pressmon.web_cli import listening_socket

    async def accepted_nodelay() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        listening = listening_socket("127.0.0.1", 0)
        server = await asyncio.start_server(connected, sock=listening)
        port = listening.getsockname()[1]
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        value = await asyncio.wait_for(seen, 10)
        writer.close()
        server.close()
        await server.wait_closed()
        return value

    assert asyncio.run(accepted_nodelay()) != 0


def test_postgresql_reads_take_no_parallel_plan(tmp_path: Path) -> None:
    """Starting a parallel worker cost more than the index walk it shared (6 ms of 0.4)."""
    store = Store(database_url(tmp_path))
    if store.is_sqlite:
        store.close()
        pytest.skip("a PostgreSQL setting")
    try:
        for _ in range(2):  # a fresh connection, then one the pool reset with a rollback
            with store.session() as s:
                shown = s.execute(text("SHOW max_parallel_workers_per_gather")).scalar()
                assert shown == "0"
                s.rollback()
    finally:
        store.close()


def test_each_process_works_on_a_few_requests_at_once(tmp_path: Path) -> None:
    """web.threads (default 2) requests at once per process, not anyio's 40: 8 CPU-bound
    requests sharing one process's interpreter each took 8 times as long."""
    import anyio.to_thread
    from fastapi.testclient import TestClient

    from pressmon.config import load_config
    from pressmon.web_cli import web_app

    store = Store(database_url(tmp_path))
    config = load_config(ROOT / "config.yaml")
    try:
        for threads, app in [(2, web_app(store, config)), (5, web_app(store, config, threads=5))]:
            with TestClient(app) as client:
                limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)
                assert limiter.total_tokens == threads
                assert client.get("/api/articles").status_code == 200
    finally:
        store.close()


def test_the_app_is_ready_before_its_first_reader(tmp_path: Path) -> None:
    """Templates compiled when the app is made (before `serve` forks its workers), not by
    each process's first reader of each page (about 100 ms under load)."""
    from pressmon.config import load_config
    from pressmon.web_cli import web_app
    from web.templating import templates

    templates.env.cache.clear()  # type: ignore[union-attr]
    store = Store(database_url(tmp_path))
    try:
        web_app(store, load_config(ROOT / "config.yaml"))
        cached = {name for _loader, name in templates.env.cache}  # type: ignore[union-attr]
        assert set(templates.env.list_templates(extensions=["html"])) <= cached
    finally:
        store.close()
