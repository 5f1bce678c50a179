"""What the tests of the web service share: FastAPI's TestClient, a client over a runtime's settings, a
token of a scope, its Authorization header, the shape of a problem answer (RFC 9457), and for the console
a page's CSRF token and a sign-in."""

from __future__ import annotations

import re
import warnings
from typing import Any

from legalaid import tokens
from legalaid.models import utcnow
from legalaid.runtime import Runtime
from web import create_app
from web.problems import MEDIA_TYPE

# starlette's TestClient warns, when imported, that it would rather have httpx2; it works with httpx.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

__all__ = [
    "PROBLEM_KEYS",
    "TestClient",
    "api_client",
    "assert_problem",
    "bearer",
    "csrf_of",
    "sign_in",
    "token",
]

PROBLEM_KEYS = {"type", "title", "status", "detail", "problems"}


def api_client(rt: Runtime) -> TestClient:
    """A client of the application built from ``rt``'s settings; a server error is an answer, not raised."""
    return TestClient(create_app(rt.settings), raise_server_exceptions=False)


def token(rt: Runtime, name: str, scope: str) -> str:
    with rt.transaction() as session:
        return tokens.create_token(session, name=name, scope=scope, now=utcnow())[1]


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert set(body) <= PROBLEM_KEYS and {"type", "title", "status"} <= set(body)
    assert body["status"] == status
    return body


def csrf_of(page: str) -> str:
    """The CSRF token a console page's forms carry."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str, **headers: str) -> Any:
    """Post the sign-in form as a browser would (its CSRF token from the page); the answer, not followed."""
    data = {"username": username, "password": password, "csrf_token": csrf_of(client.get("/login").text)}
    return client.post("/login", data=data, follow_redirects=False, headers=headers)
