"""``/login`` and ``/logout``: the sign-in form (fields ``username``, ``password``) and the sign-out.

A failed sign-in says only "wrong user or password" (401), whichever part was wrong; after too many
failures for the name or from the address it is 429 with ``Retry-After`` (``legalaid.users.sign_in``). The
form carries its own CSRF token (a random value in a cookie and in the form, which must match), so another
site cannot sign a browser in to an account of its choosing either.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from legalaid import users
from legalaid.models import utcnow
from web.console.pages import CsrfChecked, render, sessions
from web.console.session import COOKIE, LOGIN_COOKIE, same_token
from web.state import AppRuntime

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never ``//elsewhere`` or a URL)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _form(
    request: Request, *, status_code: int = 200, error: str | None = None, username: str = ""
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        status_code=status_code,
        login_token=token,
        error=error,
        username=username,
        next=_safe_next(request.query_params.get("next")),
    )
    options = sessions(request).cookie_options()
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, **options)
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    return _form(request)


@router.post("/login")
def login(
    request: Request,
    runtime: AppRuntime,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
    next: Annotated[str | None, Form()] = None,
) -> Response:
    if not same_token(request.cookies.get(LOGIN_COOKIE), csrf_token):
        return _form(request, status_code=403, error="bad_form", username=username)
    client = request.client.host if request.client else "unknown"
    with runtime.transaction() as session:
        outcome = users.sign_in(session, username=username, password=password, client=client, now=utcnow())
        signed = (outcome.user.id, users.password_fingerprint(outcome.user)) if outcome.user else None
    if outcome.retry_after:
        response = _form(request, status_code=429, error="too_many_attempts", username=username)
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    if signed is None:
        return _form(request, status_code=401, error="wrong_login", username=username)
    store = sessions(request)
    value, _data = store.new(*signed)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, value, max_age=store.max_age, **store.cookie_options())
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, _viewer: CsrfChecked) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
