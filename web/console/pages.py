"""What every console page uses: who is signed in, the CSRF check, ``render``, and the console's errors.

A page module (``web/console/<page>.py``) has a ``router`` and, to appear in the navigation bar, a
``NAV`` (``NavItem``); it is listed in ``web.console.PAGES``. Its routes take ``CurrentViewer`` (any
signed-in user), ``LeaderViewer`` or ``AdminViewer`` (403 below that role); a POST route takes
``CsrfChecked`` instead (403 without the form's token). A page answers with
``render(request, "page.html", **context)``: the template gets the user, the CSRF token (``csrf``), the
locale's texts (``t``) and the navigation besides the context.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from legalaid import users
from legalaid.models import User
from web.console.i18n import texts
from web.console.session import COOKIE, Sessions, same_token
from web.state import AppRuntime

TEMPLATES = Path(__file__).parent / "templates"
# Autoescape on for every template: a name like 欧阳&<娜> shows as written and never becomes markup.
environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class NavItem:
    """A page's entry in the navigation bar: its address, its text's key, the least role that sees it,
    and its place (lower first)."""

    path: str
    text: str
    role: str = "staff"
    order: int = 100


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a request: the ``by`` of every change made in the console is ``code``."""

    user_id: int
    code: str
    name: str
    role: str
    csrf: str

    @property
    def by(self) -> str:
        """Who made a change, as a case event records it (the command line: ``by hand``)."""
        return f"by user {self.code}"


class SignInNeeded(Exception):
    """No live session: the page answers with a redirect to the sign-in page."""


class ConsoleError(Exception):
    """A plain error page with ``status`` and the text of ``key`` (403 forbidden, 404 not found, …)."""

    def __init__(self, status: int, key: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(key)
        self.status, self.key, self.headers = status, key, headers or {}


def sessions(request: Request) -> Sessions:
    found: Sessions = request.app.state.console_sessions
    return found


def current_viewer(request: Request, runtime: AppRuntime) -> Viewer:
    """The request's user: a valid cookie of an active user whose password has not changed since."""
    cached: Viewer | None = getattr(request.state, "viewer", None)
    if cached is not None:
        return cached
    data = sessions(request).read(request.cookies.get(COOKIE))
    if data is None:
        raise SignInNeeded()
    with runtime.sessions() as session:
        user = session.get(User, data.user_id)
        if (
            user is None
            or not user.active
            or not user.person.active
            or users.password_fingerprint(user) != data.fingerprint
        ):
            raise SignInNeeded()
        viewer = Viewer(user.id, user.person.code, user.person.name, user.role, data.csrf)
    request.state.viewer = viewer
    return viewer


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


def require_role(role: str) -> Any:
    """A dependency giving the ``Viewer`` when their role allows ``role``; else 403."""

    def dependency(viewer: CurrentViewer) -> Viewer:
        if not users.role_allows(viewer.role, role):
            raise ConsoleError(403, "forbidden")
        return viewer

    return dependency


LeaderViewer = Annotated[Viewer, Depends(require_role("leader"))]
AdminViewer = Annotated[Viewer, Depends(require_role("admin"))]


def check_csrf(viewer: CurrentViewer, csrf_token: Annotated[str | None, Form()] = None) -> Viewer:
    """The form's hidden ``csrf_token`` must be the session's: another site cannot post in the user's
    name. A form without it, or with another, is 403."""
    if not same_token(viewer.csrf, csrf_token):
        raise ConsoleError(403, "bad_form")
    return viewer


CsrfChecked = Annotated[Viewer, Depends(check_csrf)]


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered with ``context`` and what every page shows: the user (or None), the CSRF
    token, the texts of the center's locale and the navigation bar the user may see."""
    runtime = request.app.state.runtime
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    nav = [
        item for item in request.app.state.console_nav if viewer and users.role_allows(viewer.role, item.role)
    ]
    html = environment.get_template(template).render(
        request=request,
        user=viewer,
        csrf=viewer.csrf if viewer else "",
        t=texts(runtime.settings.locale),
        lang="en" if runtime.settings.locale == "en" else "zh-CN",
        nav=nav,
        path=request.url.path,
        **context,
    )
    headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}
    return HTMLResponse(html, status_code=status_code, headers=headers)
