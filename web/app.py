"""The web app: FastAPI with server-rendered Jinja2 pages and a JSON API, over one Store.

Top of the flow beside the CLI: `create_app` wires the store, the figure
ledger, the access rules (web/access.py), the pages (web/pages.py, rendered
through web/templating.py) and the API (web/api.py). `pressmon serve`
(pressmon/web_cli.py) composes its arguments from the config and runs it with
uvicorn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.middleware.trustedhost import TrustedHostMiddleware

from figures.catalogue import Catalogue, load_catalogue
from figures.ledger import Ledger
from store import Store
from web import api, pages
from web.access import AUTH_COOKIE, SESSION_COOKIE, Access, new_session_id
from web.templating import warm


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


THREADS = 2  # requests a server process works on at once (config: web.threads)


def _working_at_once(threads: int) -> Callable[[FastAPI], Any]:
    """The app's lifespan: at most `threads` requests at once in this process's thread pool
    (anyio's default is 40). Python runs one thread at a time, so 8 requests at once took 8
    times as long each: measured at 16 clients over 100,000 articles, 2 at once gave a p95
    of 250-300 ms where 40 gave 300-560 ms. Two still let a request waiting on a lock leave
    the other working."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    return lifespan


def create_app(
    store: Store,
    *,
    watched: str,
    window_days: int,
    version: str,
    token: str | None = None,
    allowed_hosts: Sequence[str] | None = None,
    catalogue: Catalogue | None = None,
    threads: int = THREADS,
) -> FastAPI:
    """The app over `store`, showing figures of `watched` (a `window_days` conflict window)
    and `version` in its API description. With `token`, every request must carry it; with
    `allowed_hosts`, other Host headers are refused (against DNS rebinding of a loopback
    server). Metrics show under their labels in `catalogue` (default: the shipped one). At
    most `threads` requests are worked on at once; more wait their turn.
    The shell composes these from its configuration; the app never reads it."""
    app = FastAPI(
        lifespan=_working_at_once(threads),
        title="pressmon",
        version=version,
        summary="Articles, figures, flags and digests of the press monitor.",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; /openapi.json is served
        redoc_url=None,
    )
    warm()  # before `serve` forks: every process starts with the templates compiled
    app.state.store = store
    app.state.watched = watched
    app.state.ledger = Ledger(watched, window_days)
    app.state.catalogue = catalogue or load_catalogue()
    app.state.access = Access(token=token)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.middleware("http")(_gate)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    return app
