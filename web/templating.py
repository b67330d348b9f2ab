"""The web app's Jinja2 templates: one environment, its filters, and `render` for pages.

Apart from `web.app` so the pages can render without importing the module that
mounts them. Every template is autoescaped; the filters turn stored values into
safe text (figures, changes and dates through figures.display, search
highlights, outside links).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from figures import display
from figures.display import figure
from web.access import Access

TEMPLATES = Path(__file__).with_name("templates")


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
    env.filters["change"] = display.change
    env.filters["day"] = display.day
    env.filters["moment"] = display.moment
    env.filters["site"] = display.site
    env.globals["period"] = display.period
    env.filters["highlights"] = highlights
    env.filters["link"] = link
    env.filters["segment"] = lambda value: quote(str(value), safe="")
    return env


templates = Jinja2Templates(env=_environment())


def warm() -> None:
    """Compile every template and load babel's data for each language now, once, so no
    reader's first page pays for it (about 100 ms), and forked server processes share it."""
    for name in templates.env.list_templates(extensions=["html"]):
        templates.env.get_template(name)
    for language in display.LOCALES:
        display.day("2024-07-19", language)
        display.figure(1800, "at_least", "HKD", language)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    """A page, with what every page needs: the CSRF token, whether a login is in play, and
    `label`, a metric's name from the app's catalogue."""
    access: Access = request.app.state.access
    catalogue = request.app.state.catalogue
    context |= {
        "label": lambda key: display.metric_label(key, catalogue),
        "csrf_token": access.csrf_token(request.state.session_id),
        "login": access.token is not None,
    }
    return templates.TemplateResponse(request, name, context, status_code=status_code)
