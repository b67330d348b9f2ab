"""A private Redis for the tests: Debian's `redis-server` on a free 127.0.0.1 port, thrown
away after (no persistence, no system service touched), like tests/pg.py for PostgreSQL.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BINARY = "redis-server"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    folder: Path
    port: int
    process: subprocess.Popen[bytes]

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def available() -> bool:
    return shutil.which(BINARY) is not None


def start() -> Server:
    """Start redis-server in the foreground of a child process; wait until it answers."""
    binary = shutil.which(BINARY)
    if binary is None:
        raise RuntimeError("redis-server not found: apt-get install -y redis-server")
    folder = Path(tempfile.mkdtemp(prefix="pressmon-redis-"))
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--dir", str(folder),
            "--save", "",
            "--appendonly", "no",
            "--databases", "256",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"redis-server did not start on port {port}")
        time.sleep(0.05)
    return Server(folder, port, process)


_dbs = itertools.count(1)


@functools.cache
def shared() -> Server:
    """The test session's one Redis; each test takes a database of its own (`new_url`)."""
    server = start()
    atexit.register(server.stop)
    return server


def new_url() -> str:
    """An empty Redis database of the shared server, as a URL."""
    number = next(_dbs)
    if number >= 256:
        raise RuntimeError("more than 255 Redis databases in one test session")
    return shared().url(number)
