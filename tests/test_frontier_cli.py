"""`pressmon crawl --seed / --worker / --status` refuse what they cannot use, in one line.

No Redis is needed here (the shared-frontier crawl itself is tested in test_scaleout.py),
so these run on both backends.
"""

from __future__ import annotations

import socket
from pathlib import Path

import yaml

from tests.conftest import Cli


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once the socket closes


def _one_line_error(result: object) -> str:
    stderr = result.stderr.strip()  # type: ignore[attr-defined]
    assert result.returncode == 1, stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr and len(stderr.splitlines()) == 1, stderr
    return stderr


def test_without_a_frontier_seed_worker_and_status_say_what_to_set(cli: Cli) -> None:
    for mode in ("--seed", "--worker", "--status"):
        line = _one_line_error(cli("crawl", mode, check=False))
        assert "crawl.frontier is not set in config.yaml" in line


def test_an_unreachable_frontier_is_one_line_naming_it(cli: Cli) -> None:
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    data = yaml.safe_load(cli.config.read_text(encoding="utf-8"))
    data["crawl"]["frontier"] = url
    cli.config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for mode in ("--seed", "--worker", "--status"):
        line = _one_line_error(cli("crawl", mode, check=False))
        assert f"frontier {url}" in line


def test_a_frontier_that_is_not_a_redis_url_is_refused_at_load(cli: Cli, tmp_path: Path) -> None:
    data = yaml.safe_load(cli.config.read_text(encoding="utf-8"))
    data["crawl"]["frontier"] = "http://127.0.0.1:6379"
    cli.config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    line = _one_line_error(cli("crawl", "--seed", check=False))
    assert "crawl.frontier" in line and "redis://" in line


def test_one_mode_at_a_time(cli: Cli) -> None:
    line = _one_line_error(cli("crawl", "--seed", "--worker", check=False))
    assert "one of --seed, --worker and --status" in line
    line = _one_line_error(cli("crawl", "--worker", "--source", "wire", check=False))
    assert "--source" in line


def _frontier_api(cli: Cli) -> tuple[int, dict]:
    """`GET /api/frontier` of the web app `pressmon serve` would run on this config."""
    from fastapi.testclient import TestClient

    from pressmon.config import load_config
    from pressmon.web_cli import web_app
    from store import Store

    store = Store(cli.db_url)
    try:
        with TestClient(web_app(store, load_config(cli.config))) as client:
            response = client.get("/api/frontier")
            return response.status_code, response.json()
    finally:
        store.close()


def test_the_web_app_says_why_it_shows_no_frontier(cli: Cli) -> None:
    status, body = _frontier_api(cli)
    assert status == 404 and "crawl.frontier is not set" in body["detail"]
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    data = yaml.safe_load(cli.config.read_text(encoding="utf-8"))
    data["crawl"]["frontier"] = url
    cli.config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    status, body = _frontier_api(cli)
    assert status == 503 and f"frontier {url}" in body["detail"]
