"""The HTTP API's bearer tokens: create (the token is shown once), list, revoke, verify.

Only a token's SHA-256 is stored. A token is random (``la_`` and 32 bytes, URL-safe), so a plain hash is
enough: there is nothing to guess that a slow hash would protect. Verification looks the hash up and
compares it again with ``hmac.compare_digest``, so no answer depends on how many characters matched.
Scopes are ordered: ``read`` < ``write`` < ``admin``; a token may do what its scope and every lower one may.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from legalaid.errors import UserError
from legalaid.models import ApiToken

SCOPES = ("read", "write", "admin")
PREFIX = "la_"
# last_used_at is written at most this often per token: a busy client must not make every read a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)


def token_hash(token: str) -> str:
    """The stored form of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def scope_allows(have: str, need: str) -> bool:
    """Whether a token of scope ``have`` may do what needs ``need`` (``admin`` may read, ``read`` may not
    write)."""
    return have in SCOPES and SCOPES.index(have) >= SCOPES.index(need)


def create_token(session: Session, *, name: str, scope: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token named ``name``: the row, and the token itself, which is never stored or shown again."""
    if scope not in SCOPES:
        raise UserError(f"unknown scope {scope!r} (use {', '.join(SCOPES)})")
    if not _NAME.fullmatch(name):
        raise UserError(
            f"token name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise UserError(f"a token named {name!r} exists already (see `legalaid tokens list`)")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, scope=scope, token_hash=token_hash(token), created_at=now)
    session.add(row)
    session.flush()
    return row, token


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, revoked ones too, by name."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke_token(session: Session, *, name: str, now: datetime) -> ApiToken:
    """Revoke the token ``name``; from now on it is refused. Revoking it again changes nothing."""
    row = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if row is None:
        raise UserError(f"no token named {name!r} (see `legalaid tokens list`)")
    if row.revoked_at is None:
        row.revoked_at = now
    return row


@dataclass(frozen=True)
class LiveToken:
    """A token that may be used: who it names and what it may do."""

    id: int
    name: str
    scope: str


def verify_token(session: Session, token: str, *, now: datetime) -> LiveToken | None:
    """The live token for ``token``, or None (unknown, or revoked). Notes when it was last used.

    Every API request asks this first, so it reads the columns it needs (no ORM object) and writes only
    when ``last_used_at`` is older than LAST_USED_RESOLUTION.
    """
    digest = token_hash(token)
    row = session.execute(
        select(ApiToken.id, ApiToken.name, ApiToken.scope, ApiToken.token_hash, ApiToken.revoked_at,
               ApiToken.last_used_at).where(ApiToken.token_hash == digest)
    ).one_or_none()  # fmt: skip
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    return LiveToken(id=row.id, name=row.name, scope=row.scope)
