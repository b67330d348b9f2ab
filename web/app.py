"""The web app: FastAPI with server-rendered Jinja2 pages and a JSON API, over one Store.

Top of the flow beside the CLI: `create_app` wires the store, the figure
ledger, the access rules (web/access.py), the pages (web/pages.py) and the
API (web/api.py). `pressmon serve` (pressmon/web_cli.py) runs it with uvicorn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.middleware.trustedhost import TrustedHostMiddleware

from figures.ledger import Ledger
from pressmon.config import Config
from store import Store
from web.access import AUTH_COOKIE, SESSION_COOKIE, Access, new_session_id

TEMPLATES = Path(__file__).with_name("templates")
QUALIFIER_WORDS = {"at_least": "over ", "at_most": "up to ", "about": "about ", "exact": ""}


def figure(value: Any, qualifier: str | None = None, unit: str | None = None) -> str:
    """A stated figure for people: "over 1,800", "about 93,700,000,000 HKD"."""
    if value is None:
        return ""
    shown = f"{value:,}" if isinstance(value, int | float) else str(value)
    suffix = "" if unit in (None, "count") else f" {unit}"
    return f"{QUALIFIER_WORDS.get(qualifier or 'exact', '')}{shown}{suffix}"


def highlights(snippet: str) -> list[tuple[str, bool]]:
    """A search snippet's [marked] parts as (text, marked) pairs, so the template marks
    them without trusting the text as HTML."""
    parts: list[tuple[str, bool]] = []
    rest = snippet
    while "[" in rest and "]" in rest[rest.index("[") :]:
        start = rest.index("[")
        end = rest.index("]", start)
        parts += [(rest[:start], False), (rest[start + 1 : end], True)]
        rest = rest[end + 1 :]
    parts.append((rest, False))
    return [p for p in parts if p[0]]


def link(url: str | None) -> str:
    """An outside URL fit for an href: http(s) only, so a stored `javascript:` URL is inert."""
    return url if url and urlsplit(url).scheme in ("http", "https") else "#"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    env.filters["figure"] = figure
    env.filters["highlights"] = highlights
    env.filters["link"] = link
    env.filters["segment"] = lambda value: quote(str(value), safe="")
    return env


templates = Jinja2Templates(env=_environment())


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    """A page, with what every page needs: the CSRF token and whether a login is in play."""
    access: Access = request.app.state.access
    context |= {
        "csrf_token": access.csrf_token(request.state.session_id),
        "login": access.token is not None,
    }
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _local(path: str | None, default: str = "/") -> str:
    """A redirect target on this site only (no //host or scheme)."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return default


async def _gate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """The token check on every request, then a session cookie for the CSRF tokens."""
    access: Access = request.app.state.access
    path = request.url.path
    if access.token is not None:
        given = request.query_params.get("token")
        if given is not None and request.method == "GET" and access.token_matches(given):
            rest = request.url.remove_query_params("token")
            response: Response = RedirectResponse(
                path + (f"?{rest.query}" if rest.query else ""), status_code=303
            )
            response.set_cookie(AUTH_COOKIE, access.cookie_value, httponly=True, samesite="lax")
            return response
        allowed = access.allowed(
            request.headers.get("authorization"), request.cookies.get(AUTH_COOKIE)
        )
        if not allowed and path != "/login":
            if path.startswith("/api/") or path == "/openapi.json":
                return JSONResponse(
                    {"detail": "an access token is required (Authorization: Bearer TOKEN)"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            return RedirectResponse(f"/login?next={quote(path)}", status_code=303)
    session_id = request.cookies.get(SESSION_COOKIE)
    fresh = session_id is None
    request.state.session_id = session_id or new_session_id()
    response = await call_next(request)
    if fresh:
        response.set_cookie(SESSION_COOKIE, request.state.session_id, httponly=True, samesite="lax")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def create_app(
    store: Store,
    config: Config,
    *,
    token: str | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> FastAPI:
    """The app over `store`. With `token`, every request must carry it; with `allowed_hosts`,
    other Host headers are refused (against DNS rebinding of a loopback server)."""
    from pressmon import __version__
    from web import api, pages

    app = FastAPI(
        title="pressmon",
        version=__version__,
        summary="Articles, figures, flags and digests of the press monitor.",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; /openapi.json is served
        redoc_url=None,
    )
    app.state.store = store
    app.state.watched = config.watch.name
    app.state.ledger = Ledger(config.watch.name, config.window_days)
    app.state.access = Access(token=token)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.middleware("http")(_gate)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    return app


def local_redirect(target: str | None, default: str = "/") -> RedirectResponse:
    return RedirectResponse(_local(target, default), status_code=303)
