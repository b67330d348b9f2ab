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


MANY_LINKS = 50_000
NESTED_DIVS = 100_000
DRIP_SECONDS = 0.5  # between the bytes of /bad/drip.html: it never finishes within a timeout

_RELEASE = (
    "<p>Hong Kong Science and Technology Parks Corporation (HKSTP) today reported that "
    "more than 1,100 technology companies now work at Hong Kong Science Park.</p>"
)


def many_links(base_url: str) -> bytes:
    """A listing page of 50,000 links (all to missing pages): a crawler must take few."""
    links = "".join(
        f'<li><a href="{base_url}/bad/many/{i}.html">Release {i}</a></li>'
        for i in range(MANY_LINKS)
    )
    return f"<html><body><h1>Archive</h1><ul>{links}</ul></body></html>".encode()


def nested() -> bytes:
    """A release inside 100,000 nested <div>s: parsers that recurse fall over."""
    return (
        b"<html><head><title>HKSTP nested release</title></head><body>"
        + b"<div>" * NESTED_DIVS
        + _RELEASE.encode()
        + b"</div>" * NESTED_DIVS
        + b"</body></html>"
    )


def long_page() -> bytes:
    """A release followed by 300 KB of more paragraphs: only its start gets cleaned when the
    crawl's `max_clean_bytes` is small."""
    filler = "".join(
        f"<p>Paragraph {i} of a very long page about Hong Kong Science Park, "
        "kept going to see where the cleaning stops.</p>"
        for i in range(3000)
    )
    return (
        "<html><head><title>HKSTP long release</title></head><body><article>"
        f"<h1>HKSTP long release</h1>{_RELEASE}{filler}</article></body></html>"
    ).encode()


def xxe_feed(base_url: str) -> bytes:
    """An RSS feed whose entity would read a local file if the parser resolved it."""
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY leak SYSTEM "file:///etc/passwd">]>\n'
        '<rss version="2.0"><channel><title>XXE &leak;</title>'
        f"<item><title>Leak &leak;</title><link>{base_url}/bad/good.html</link></item>"
        "</channel></rss>"
    ).encode()


def laughs_feed() -> bytes:
    """The billion laughs: ten levels of entities that expand to 10^9 'lol's if resolved."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [' + "".join(entities) + "]>\n"
        '<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>'
        "<link>&lol9;</link></item></channel></rss>"
    ).encode()


HOSTILE = (  # paths on the sample site
    *(
        f"bad/{name}"
        for name in (
            "good.html",
            "nested.html",
            "long.html",
            "drip.html",
            "hang.html",
            "to-file.html",
            "to-ftp.html",
            "loop.html",
            "huge.html",
            "bomb.html",
            "big5.html",
        )
    ),
    "private/release.html",  # disallowed by robots.txt: never to be requested
)


def hostile_feed(base_url: str) -> bytes:
    """A feed of every hostile page: the input of the memory benchmark and its tests."""
    items = "".join(
        f"<item><title>{path}</title><link>{base_url}/{path}</link></item>" for path in HOSTILE
    )
    return (
        '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Hostile</title>'
        f"{items}</channel></rss>"
    ).encode()


def _drip(handler: Handler, site: Site) -> None:
    """Headers at once, then one byte every DRIP_SECONDS for as long as the client listens."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.end_headers()
    handler.close_connection = True
    while not site.stopping.wait(DRIP_SECONDS):
        try:
            handler.wfile.write(b" ")
            handler.wfile.flush()
        except OSError:
            return


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
    elif name == "listing.html":  # a healthy listing whose "Next" link is dead
        listing = (
            '<html><body><h1>News</h1><ul><li><a href="good.html">Good news</a></li></ul>'
            '<a href="listing-2.html">Next</a></body></html>'
        )
        handler.simple(200, listing.encode(), html)
    elif name == "links.html":
        handler.simple(200, many_links(site.base_url), html)
    elif name == "long.html":
        handler.simple(200, long_page(), html)
    elif name == "nested.html":
        handler.simple(200, nested(), html)
    elif name == "hostile.xml":
        handler.simple(200, hostile_feed(site.base_url), "application/rss+xml")
    elif name == "xxe.xml":
        handler.simple(200, xxe_feed(site.base_url), "application/rss+xml")
    elif name == "laughs.xml":
        handler.simple(200, laughs_feed(), "application/rss+xml")
    elif name == "drip.html":
        _drip(handler, site)
    elif name == "hang.html":  # never answers at all
        site.stopping.wait()
    elif name == "to-file.html":
        handler.redirect(302, "file:///etc/passwd")
    elif name == "to-ftp.html":
        handler.redirect(302, "ftp://127.0.0.1/pub/release.html")
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
