"""``/settings`` (admin only): the effective settings with every secret masked, as ``legalaid config``
prints them (``Settings.masked()``: a password or key as ``********``, the database's and broker's
addresses without their passwords), and a link to the users page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.console.pages import AdminViewer, NavItem, render
from web.state import AppRuntime

router = APIRouter()
NAV = NavItem("/settings", "nav_settings", role="admin", order=80)


@router.get("/settings")
def settings_page(request: Request, runtime: AppRuntime, _viewer: AdminViewer) -> HTMLResponse:
    rows = [(name, _shown(value)) for name, value in runtime.settings.masked().items()]
    return render(request, "settings.html", rows=rows)


def _shown(value: Any) -> str:
    """A value as ``legalaid config`` prints it: a list joined with commas, nothing for None."""
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return "" if value is None else str(value)
