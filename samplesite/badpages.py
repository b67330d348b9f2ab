"""The /bad/ corner of the sample site: broken inputs for crawl error tests.

Called by `server` for every path under /bad/; never linked from the normal sources, only
from /bad/feed.xml. Static bodies live in samplesite/bad/; the behaviours (slow, looping,
streaming 50 MB, a gzip bomb) are written here. It knows the server only through the two
small protocols below, so `server` imports this module and not the other way round.
"""

from __future__ import annotations

import threading
import zlib
from importlib import resources
from io import BufferedIOBase
from typing import Protocol
from urllib.parse import parse_qs

from samplesite.papers import broken_pdf


class Site(Protocol):
    """What a /bad/ page needs of the running site: its address and its stop signal."""

    @property
    def base_url(self) -> str: ...

    @property
    def stopping(self) -> threading.Event: ...


class Handler(Protocol):
    """What a /bad/ page needs of the request handler: the method, raw writes, canned answers."""

    command: str
    close_connection: bool
    wfile: BufferedIOBase

    def send_response(self, code: int, message: str | None = None) -> None: ...

    def send_header(self, keyword: str, value: str) -> None: ...

    def end_headers(self) -> None: ...

    def simple(
        self,
        status: int,
        body: bytes,
        ctype: str = ...,
        extra: dict[str, str] | None = None,
    ) -> None: ...

    def redirect(self, status: int, location: str) -> None: ...


HUGE_BYTES = 50 * 1024 * 1024
BOMB_BYTES = 512 * 1024 * 1024
SLOW_DEFAULT = 30.0
_bomb_lock = threading.Lock()
_bomb: bytes | None = None


def _file(name: str) -> bytes:
    return resources.files("samplesite").joinpath("bad", name).read_bytes()


def bomb() -> bytes:
    """A gzip body that inflates to 512 MB of HTML whitespace (~0.5 MB; made once, on demand).

    Deflate cannot beat about 1:1030, so this is as small as one gzip layer allows.
    """
    global _bomb
    with _bomb_lock:
        if _bomb is None:
            packer = zlib.compressobj(9, zlib.DEFLATED, 31)
            parts = [packer.compress(b"<html><head><title>Bomb</title></head><body>")]
            block = b" " * (1 << 20)
            parts += [packer.compress(block) for _ in range(BOMB_BYTES // len(block))]
            parts.append(packer.flush())
            _bomb = b"".join(parts)
        return _bomb


def _stream_huge(handler: Handler, site: Site) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.end_headers()
    handler.close_connection = True
    if handler.command == "HEAD":
        return
    row = b"<p>" + b"Filler paragraph of a page that never ends. " * 20 + b"</p>\n"
    chunk = row * (65536 // len(row))
    handler.wfile.write(b"<html><head><title>Huge</title></head><body>\n")
    sent = 0
    while sent < HUGE_BYTES and not site.stopping.is_set():
        handler.wfile.write(chunk)
        sent += len(chunk)
    handler.wfile.write(b"</body></html>\n")


def serve(handler: Handler, path: str, query: str, site: Site) -> None:
    """Answer one /bad/ request (any unknown name is a 404)."""
    name = path.removeprefix("/bad/")
    html = "text/html; charset=utf-8"
    if name == "feed.xml":
        body = _file("feed.xml").replace(b"{base}", site.base_url.encode())
        handler.simple(200, body, "application/rss+xml; charset=utf-8")
    elif name in ("broken-feed.xml", "broken-sitemap.xml"):
        handler.simple(200, _file(name), "application/xml; charset=utf-8")
    elif name in ("good.html", "truncated.html"):
        handler.simple(200, _file(name), html)
    elif name == "big5.html":
        text = _file("big5.html").decode("utf-8")
        handler.simple(200, text.encode("big5"), "text/html")
    elif name == "empty.html":
        handler.simple(200, b"", html)
    elif name == "error.html":
        handler.simple(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", html)
    elif name == "slow.html":
        seconds = parse_qs(query).get("seconds", [str(SLOW_DEFAULT)])[0]
        try:
            wait = float(seconds)
        except ValueError:
            wait = SLOW_DEFAULT
        site.stopping.wait(wait)
        handler.simple(200, b"<html><body><p>Finally, a slow answer.</p></body></html>", html)
    elif name in ("loop.html", "loop2.html"):
        other = "loop2.html" if name == "loop.html" else "loop.html"
        handler.redirect(302, f"{site.base_url}/bad/{other}")
    elif name == "huge.html":
        _stream_huge(handler, site)
    elif name in ("encrypted.pdf", "scanned.pdf", "truncated.pdf"):
        handler.simple(200, broken_pdf(name.removesuffix(".pdf")), "application/pdf")
    elif name == "bomb.html":
        handler.simple(200, bomb(), html, {"Content-Encoding": "gzip"})
    else:
        handler.simple(404, b"<html><body><h1>404 Not Found</h1></body></html>", html)
