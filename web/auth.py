"""``Authorization: Bearer TOKEN``: who is calling, and whether their token's scope allows the route.

A missing, unknown or revoked token is 401 with ``WWW-Authenticate: Bearer``; a live token whose scope is
too low is 403. Routes declare what they need with ``Reader``, ``Writer`` or ``Admin``; the caller's
``name`` is who did it, where the command line records ``--by``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from legalaid import tokens
from legalaid.models import utcnow
from legalaid.runtime import Runtime
from web.problems import ApiProblem
from web.state import get_runtime

bearer = HTTPBearer(auto_error=False, description="A token from `legalaid tokens create NAME --scope …`.")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="legalaid"'}


@dataclass(frozen=True)
class Caller:
    """The token a request came with: its name (the ``by`` of what it changes), scope and id."""

    name: str
    scope: str
    token_id: int


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization`` header value, or None when it is not ``Bearer <token>``."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def caller_for(runtime: Runtime, token: str) -> Caller | None:
    """The live token's caller, or None; notes the token's use (at most once a minute)."""
    with runtime.transaction() as session:
        row = tokens.verify_token(session, token, now=utcnow())
        return Caller(name=row.name, scope=row.scope, token_id=row.id) if row is not None else None


def authenticate(request: Request, runtime: Runtime, token: str | None, *, scope: str) -> Caller:
    """The caller of ``request`` if its token is live and allows ``scope``; else the 401 or 403 problem."""
    cached: Caller | None = getattr(request.state, "caller", None)  # the idempotency layer looked already
    if token is None:
        raise ApiProblem(401, "this needs a token: Authorization: Bearer TOKEN", headers=CHALLENGE)
    caller = cached or caller_for(runtime, token)
    if caller is None:
        headers = {"WWW-Authenticate": 'Bearer realm="legalaid", error="invalid_token"'}
        raise ApiProblem(401, "the token is unknown or revoked", headers=headers)
    if not tokens.scope_allows(caller.scope, scope):
        detail = f"token {caller.name!r} has scope {caller.scope}; this needs {scope}"
        headers = {
            "WWW-Authenticate": f'Bearer realm="legalaid", error="insufficient_scope", scope="{scope}"'
        }
        raise ApiProblem(403, detail, headers=headers)
    request.state.caller = caller
    return caller


def require(scope: str) -> Any:
    """A dependency giving the request's ``Caller`` when its token allows ``scope``."""

    def dependency(
        request: Request,
        runtime: Annotated[Runtime, Depends(get_runtime)],
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller:
        return authenticate(request, runtime, credentials.credentials if credentials else None, scope=scope)

    return dependency


Reader = Annotated[Caller, Depends(require("read"))]
Writer = Annotated[Caller, Depends(require("write"))]
Admin = Annotated[Caller, Depends(require("admin"))]
