"""The `web` commands of the CLI (`COMMANDS`, which pressmon/cli.py adds): `pressmon serve`.

Also where the shell composes the web app: `web_app` hands it what it shows from
the config, so the web stage never reads the shell's `Config`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from pressmon import __version__
from pressmon.config import Config
from pressmon.context import App, command

if TYPE_CHECKING:
    from types import FrameType

    from fastapi import FastAPI

    from store import Store


def web_app(
    store: Store,
    config: Config,
    *,
    token: str | None = None,
    allowed_hosts: Sequence[str] | None = None,
    threads: int | None = None,
) -> FastAPI:
    """The web app over `store`, given what it shows from the shell's config and version;
    `threads` overrides web.threads."""
    from web.app import create_app  # FastAPI loads only for the commands that serve

    return create_app(
        store,
        watched=config.watch.name,
        window_days=config.window_days,
        version=__version__,
        token=token,
        allowed_hosts=allowed_hosts,
        catalogue=config.catalogue,
        threads=threads or config.web.threads,
    )


def listening_socket(host: str, port: int, *, shared: bool = False) -> socket.socket:
    """A TCP socket listening on (host, port) for uvicorn; with `shared`, one of several
    sockets on the same port (SO_REUSEPORT), among which the kernel spreads connections.

    Made with proto IPPROTO_TCP: asyncio sets TCP_NODELAY only on connections accepted from
    such a socket. Without it each response's body waited for the client's delayed ACK of
    its headers, about 40 ms on every keep-alive request.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def worker_sockets(host: str, port: int, workers: int) -> list[socket.socket]:
    """A listening socket for each server process. On Linux each has its own (SO_REUSEPORT)
    and the kernel deals connections out between them: on one shared socket, the process
    whose event loop woke first accepted every waiting connection, so 16 keep-alive clients
    arriving together were all served by one process while the others idled. Elsewhere the
    processes share one socket. A port something already listens on is refused (OSError),
    as it is for one process."""
    alone = listening_socket(host, port)  # refused while anything listens there
    if workers == 1 or not sys.platform.startswith("linux"):
        return [alone] * workers
    port = alone.getsockname()[1]
    alone.close()  # a socket that would share the port with a second `serve` is never made
    sockets: list[socket.socket] = []
    try:
        for _ in range(workers):
            sockets.append(listening_socket(host, port, shared=True))
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


@command("serve")
@click.option("--host", help="Address to bind (default: web.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: web.port; 0: any).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes sharing the port (one per core puts every core to work).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    help="Requests each server process works on at once (default: web.threads, 2).",
)
def serve_cmd(
    app: App, host: str | None, port: int | None, workers: int, threads: int | None
) -> None:
    """Serve the web app and its JSON API until Ctrl-C.

    On loopback no token is needed. Any other address needs an access token in
    the environment variable named by web.token_env (PRESSMON_WEB_TOKEN); then
    every request must send it (Authorization: Bearer TOKEN, or sign in once
    at /login or open any page with ?token=TOKEN). If the variable is set, the
    token is checked on loopback too.

    \b
    Example:
      pressmon serve --port 8080
      pressmon serve --workers 2 --threads 2
      PRESSMON_WEB_TOKEN=s3cret pressmon serve --host 0.0.0.0
    """

    from pressmon.errors import InputError
    from web.access import LOOPBACK_NAMES, is_loopback, require_token

    settings = app.config.web
    host = host or settings.host
    port = settings.port if port is None else port
    token = require_token(host, os.environ.get(settings.token_env), settings.token_env)
    web = web_app(
        app.store,
        app.config,
        token=token,
        allowed_hosts=LOOPBACK_NAMES if is_loopback(host) and ":" not in host else None,
        threads=threads,
    )
    try:
        sockets = worker_sockets(host, port, workers)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound = sockets[0].getsockname()[1]
    shown = f"[{host}]" if sockets[0].family == socket.AF_INET6 else host
    click.echo(f"pressmon web app at http://{shown}:{bound}/ (Ctrl-C stops)")
    sys.stdout.flush()
    _serve(web, sockets, app.store)


def _serve(web: FastAPI, sockets: list[socket.socket], store: Store) -> None:
    """Run uvicorn in one process per socket of `sockets` (this one and forks of it) until a
    signal; each serves its own socket and closes the others' (the same socket for all of
    them is shared).

    The forks are made before uvicorn starts any thread, and each drops the pooled
    connections it inherited. Ctrl-C or SIGTERM reaching this process is passed on to them.
    """
    import uvicorn

    children: list[int] = []

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            super().handle_exit(sig, frame)

    def own(mine: socket.socket) -> list[socket.socket]:
        for sock in sockets:
            if sock is not mine:
                sock.close()
        return [mine]

    server = Server(uvicorn.Config(web, log_level="warning", access_log=False, server_header=False))
    for sock in sockets[1:]:
        pid = os.fork()
        if pid == 0:
            try:
                children.clear()
                store.engine.dispose(close=False)  # the parent's connections stay its own
                server.run(sockets=own(sock))
            finally:
                os._exit(0)
        children.append(pid)
    server.run(sockets=own(sockets[0]))


COMMANDS: list[click.Command] = [serve_cmd]
