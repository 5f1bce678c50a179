"""The web console: server-rendered pages for the center's staff, on the API's application.

``install(app, settings)`` adds the pages of ``PAGES`` (one module each, under ``web/console/``, with a
``router`` and a ``NAV`` entry), the stylesheet under ``/static/``, and the console's two answers to a
page that cannot be shown: a redirect to ``/login`` without a session, a plain error page otherwise.
To add a page: write ``web/console/<page>.py`` (see ``web.console.pages``) and its template, and list it
in ``PAGES``. No JavaScript and nothing downloaded: every asset ships in the package.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from legalaid.config import Settings
from web.console.pages import ConsoleError, NavItem, SignInNeeded, render
from web.console.session import Sessions

# The page modules, in web/console/; each adds its routes, and its NAV entry to the navigation bar.
PAGES = ("signin", "today", "cases", "roster", "reports", "users", "imports", "outbox", "jobs", "settings")
STATIC = Path(__file__).parent / "static"


def install(app: FastAPI, settings: Settings) -> None:
    """Add the console's pages to ``app``."""
    app.state.console_sessions = Sessions(settings)
    nav: list[NavItem] = []
    for name in PAGES:
        module = import_module(f"web.console.{name}")
        app.include_router(module.router, include_in_schema=False)
        if (item := getattr(module, "NAV", None)) is not None:
            nav.append(item)
    app.state.console_nav = sorted(nav, key=lambda item: item.order)
    app.mount("/static", StaticFiles(directory=STATIC), name="console-static")

    async def on_sign_in_needed(request: Request, _exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        # Only a page's own address is remembered: the sign-in never sends anyone to another site.
        after = f"?next={quote(target, safe='/')}" if target not in ("/", "/login") else ""
        return RedirectResponse(f"/login{after}", status_code=303)

    async def on_console_error(request: Request, exc: Exception) -> HTMLResponse:
        assert isinstance(exc, ConsoleError)
        response = render(request, "error.html", status_code=exc.status, message_key=exc.key)
        response.headers.update(exc.headers)
        return response

    app.add_exception_handler(SignInNeeded, on_sign_in_needed)
    app.add_exception_handler(ConsoleError, on_console_error)
