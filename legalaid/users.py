"""The web console's users: add, list, disable, set a password; sign in, slowed after repeated failures.

Passwords are hashed with Argon2id (argon2-cffi, whose one home is this module): the hash is slow on
purpose, so a copy of the table does not give the passwords back. A sign-in that fails says nothing about
which part was wrong, takes as long for an unknown user as for a known one (a dummy hash is verified), and
is recorded; after ``MAX_FAILURES_PER_USER`` failures for a name, or ``MAX_FAILURES_PER_CLIENT`` from one
address, within ``FAILURE_WINDOW``, further attempts are refused without looking at the password until the
oldest failure leaves the window. The failures are rows, so every web process counts the same ones.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from legalaid.errors import UserError
from legalaid.models import Person, SignInFailure, User

ROLES = ("staff", "leader", "admin")
MIN_PASSWORD_LENGTH = 10
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
# An office's staff share one address behind its router: a few people's typos must not lock them all out.
MAX_FAILURES_PER_CLIENT = 20
_hasher = PasswordHasher()
_USERNAME = re.compile(r"\S{1,64}")


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the user, or None; ``retry_after`` seconds when attempts are refused."""

    user: User | None
    retry_after: int = 0


def role_allows(have: str, need: str) -> bool:
    """Whether a user of role ``have`` may see what needs ``need`` (an admin sees everything)."""
    return have in ROLES and ROLES.index(have) >= ROLES.index(need)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_fingerprint(user: User) -> str:
    """A short value that changes with the password: a session carries it, so a new password (or a
    disabled user) ends every session signed in with the old one."""
    return hashlib.sha256(user.password_hash.encode("ascii")).hexdigest()[:16]


def check_password(person_code: str, password: str) -> None:
    """Refuse, in one line, a password too short or equal to the person's code."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: at least {MIN_PASSWORD_LENGTH} characters (got {len(password)})")
    if password.strip().casefold() == person_code.casefold():
        raise UserError("password: may not be the person's code")


def add_user(session: Session, *, code: str, role: str, password: str, now: datetime) -> User:
    """Make the directory's person ``code`` a console user with ``role``."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r} (use {', '.join(ROLES)})")
    person = session.scalar(select(Person).where(Person.code == code))
    if person is None:
        raise UserError(f"person {code}: no such person (import the directory first)")
    if not person.active:
        raise UserError(f"person {code} ({person.name}) is not active")
    if session.scalar(select(User.id).where(User.person_id == person.id)) is not None:
        raise UserError(f"person {code} is a user already (see `legalaid users list`)")
    check_password(code, password)
    user = User(
        person=person,
        person_id=person.id,
        role=role,
        password_hash=hash_password(password),
        active=True,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    """Every user, disabled ones too, by person code."""
    statement = select(User).join(Person, Person.id == User.person_id).order_by(Person.code)
    return list(session.scalars(statement))


def user_by_code(session: Session, code: str) -> User | None:
    statement = select(User).join(Person, Person.id == User.person_id).where(Person.code == code)
    return session.scalar(statement)


def _existing(session: Session, code: str) -> User:
    user = user_by_code(session, code)
    if user is None:
        raise UserError(f"user {code}: no such user (see `legalaid users list`)")
    return user


def disable_user(session: Session, *, code: str, now: datetime) -> User:
    """Disable ``code``: refused at sign-in and signed out everywhere. Disabling again changes nothing."""
    user = _existing(session, code)
    if user.active:
        user.active, user.disabled_at = False, now
    return user


def set_password(session: Session, *, code: str, password: str, now: datetime) -> User:
    """Give ``code`` a new password (a disabled user is enabled again); every old session ends."""
    user = _existing(session, code)
    check_password(code, password)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.active, user.disabled_at = True, None
    return user


def sign_in(session: Session, *, username: str, password: str, client: str, now: datetime) -> SignIn:
    """The active user ``username`` if ``password`` is theirs; else None, the failure recorded. While
    too many recent failures stand against the name or the address, refused at once (``retry_after``)."""
    username, client = username.strip()[:64], client[:64]
    since = now - FAILURE_WINDOW
    retry_after = _locked_for(session, username, client, since=since, now=now)
    if retry_after:
        return SignIn(None, retry_after)
    user = user_by_code(session, username) if _USERNAME.fullmatch(username) else None
    if user is not None and user.active and user.person.active and _verify(user.password_hash, password):
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_sign_in_at = now
        session.execute(delete(SignInFailure).where(SignInFailure.username == username))
        return SignIn(user)
    if user is None:
        _verify(_dummy_hash(), password)
    session.add(SignInFailure(username=username, client=client, failed_at=now))
    # Failures older than the window count for nothing: forget them (an index range on failed_at).
    session.execute(delete(SignInFailure).where(SignInFailure.failed_at < since))
    return SignIn(None)


def _locked_for(session: Session, username: str, client: str, *, since: datetime, now: datetime) -> int:
    """Seconds until the name or the address may try again (0: now)."""
    waits = []
    for column, value, limit in (
        (SignInFailure.username, username, MAX_FAILURES_PER_USER),
        (SignInFailure.client, client, MAX_FAILURES_PER_CLIENT),
    ):
        recent = (
            select(SignInFailure.failed_at)
            .where(column == value, SignInFailure.failed_at >= since)
            .order_by(SignInFailure.failed_at.desc())
            .limit(limit)
            .subquery()
        )
        count, oldest = session.execute(select(func.count(), func.min(recent.c.failed_at))).one()
        if count >= limit and oldest is not None:
            waits.append(int((oldest + FAILURE_WINDOW - now).total_seconds()) + 1)
    return max(waits, default=0)


@functools.cache
def _dummy_hash() -> str:
    """Verified when the user is unknown, so an unknown name takes as long as a wrong password."""
    return _hasher.hash("not the password of anyone")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
