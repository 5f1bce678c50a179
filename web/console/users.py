"""``/users`` (admin only): who may sign in to the console, with their role and last sign-in. Users are
added and changed with ``legalaid users`` on the server."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from legalaid import users
from web.console.pages import AdminViewer, NavItem, render
from web.state import AppRuntime

router = APIRouter()
NAV = NavItem("/users", "nav_users", role="admin", order=90)


@router.get("/users")
def users_page(request: Request, runtime: AppRuntime, _viewer: AdminViewer) -> HTMLResponse:
    tz = runtime.settings.tz
    with runtime.sessions() as session:
        rows = [
            {
                "code": user.person.code,
                "name": user.person.name,
                "role": user.role,
                "active": user.active,
                "last": user.last_sign_in_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
                if user.last_sign_in_at
                else None,
            }
            for user in users.list_users(session)
        ]
    return render(request, "users.html", rows=rows)
