"""Serve the sample newsroom over HTTP on 127.0.0.1, one edition at a time.

The outermost layer of the sample site: `SampleSite` runs a ThreadingHTTPServer on a
background thread, answers from `render.resolve` (articles, listing, feeds, sitemaps) and
`badpages` (/bad/: the broken inputs crawl error tests need), applies conditional GET,
logs every request and counts how many are served at once.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from samplesite import badpages
from samplesite.articles import EDITIONS
from samplesite.render import Redirect, Resource, resolve

_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)

# path, query, base URL -> what to serve (None: 404); replaces the newsroom's editions
Resolver = Callable[[str, str, str], Resource | Redirect | None]


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it; `status` is what it answered."""

    path: str
    method: str
    headers: dict[str, str]
    status: int
    user_agent: str | None
    at: float


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Connections a crawl opens at once wait to be accepted, as a real server's do (nginx
    # keeps 511); socketserver's 5 dropped the sixth SYN, which a client resends a
    # second later: 16 connections opened together took a second more to serve.
    request_queue_size = 128


class SampleSite:
    """Serve the sample newsroom on a background thread (ThreadingHTTPServer, daemon threads)."""

    def __init__(
        self,
        edition: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        delay: float = 0.0,
        resolver: Resolver | None = None,
        keep_alive: bool = False,
    ) -> None:
        """`resolver` serves another site (a benchmark's generated one) with the same
        conditional GET, request log and counts; the newsroom's /bad/ corner stays.
        `keep_alive` answers in HTTP/1.1 and keeps connections open, as real sites do
        (the benchmarks); otherwise each connection carries one request (HTTP/1.0)."""
        self.resolver = resolver
        self.keep_alive = keep_alive
        self.edition = edition
        self.host = host
        self.port = port
        self.delay = delay
        self.base_url = ""
        self.requests: list[RequestRecord] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def edition(self) -> int:
        return self._edition

    @edition.setter
    def edition(self, value: int) -> None:
        if value not in EDITIONS:
            raise ValueError(f"sample site edition must be one of {EDITIONS}: {value!r}")
        if value != getattr(self, "_edition", None):
            # rounded up to whole seconds (HTTP dates carry no fraction), so the change
            # is dated after any fetch made before the switch
            now = dt.datetime.now(dt.UTC)
            self.switched_at = now.replace(microsecond=0) + dt.timedelta(seconds=1)
        self._edition = value

    def start(self) -> SampleSite:
        """Bind the port and serve on a daemon thread; `base_url` is valid afterwards."""
        if self._server is not None:
            return self
        self.stopping.clear()
        handler = _KeepAliveHandler if self.keep_alive else _Handler
        server = _Server((self.host, self.port), handler)
        server.site = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name=f"samplesite:{self.port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; slow and streaming responses in progress give up at once."""
        self.stopping.set()
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl-C) or until `stop()` is called from another thread."""
        self.start()
        try:
            while not self.stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> SampleSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)


def _not_modified(headers: Message, res: Resource) -> bool:
    """RFC 9110: If-None-Match decides when present, else If-Modified-Since."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or res.etag in tags
    ims = headers.get("If-Modified-Since")
    if ims and res.modified is not None:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and res.modified.replace(microsecond=0) <= since
    return False


class _Handler(BaseHTTPRequestHandler):
    server_version = "SampleNewsroom/1.0"

    @property
    def site(self) -> SampleSite:
        site: SampleSite = self.server.site  # type: ignore[attr-defined]  # set in SampleSite
        return site

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean; `SampleSite.requests` is the log."""

    def send_response(self, code: int, message: str | None = None) -> None:
        # Logged before any byte leaves, so a client that saw the answer sees the record.
        self.site._record(
            RequestRecord(
                path=self.path,
                method=self.command,
                headers=dict(self.headers.items()),
                status=code,
                user_agent=self.headers.get("User-Agent"),
                at=time.time(),
            )
        )
        super().send_response(code, message)

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def _serve(self) -> None:
        site = self.site
        site._enter()
        try:
            if site.delay:
                site.stopping.wait(site.delay)
            url = urlsplit(self.path)
            if url.path.startswith("/bad/"):
                self.close_connection = True  # a bad page may not say where its body ends
                badpages.serve(self, url.path, url.query, site)
                return
            if site.resolver is not None:
                found = site.resolver(url.path, url.query, site.base_url)
            else:
                found = resolve(site.edition, url.path, url.query, site.base_url, site.switched_at)
            if found is None:
                self.simple(404, b"<html><body><h1>404 Not Found</h1></body></html>")
            elif isinstance(found, Redirect):
                self.redirect(found.status, found.location)
            else:
                self.resource(found)
        except _GONE:
            pass  # the client hung up (a size or time cap); nothing to answer
        except Exception:
            # A bug in the sample site: answer 500 so the client is not left hanging,
            # then let socketserver print the traceback.
            self.simple(500, b"<html><body><h1>500 sample site error</h1></body></html>")
            raise
        finally:
            site._leave()

    def resource(self, res: Resource) -> None:
        if res.stale_etag is None and _not_modified(self.headers, res):
            self.send_response(304)
            self._validators(res)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", res.content_type)
        self.send_header("Content-Length", str(len(res.body)))
        self._validators(res)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(res.body)

    def _validators(self, res: Resource) -> None:
        self.send_header("ETag", res.etag)
        if res.modified is not None:
            utc = res.modified.astimezone(dt.UTC)
            self.send_header("Last-Modified", format_datetime(utc, usegmt=True))

    def simple(
        self,
        status: int,
        body: bytes,
        ctype: str = "text/html; charset=utf-8",
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def redirect(self, status: int, location: str) -> None:
        self.simple(status, b"", extra={"Location": location})


class _KeepAliveHandler(_Handler):
    """HTTP/1.1: a connection carries one request after another (every answer has its
    Content-Length, or is a 304 without a body)."""

    protocol_version = "HTTP/1.1"
