"""The people who sign in to the web console, and the failed sign-ins that slow the next ones down.

A user is a person of the directory (``people``) with a console role — ``staff``, ``leader`` or ``admin``,
independent of the person's role in the center — and an Argon2 hash of their password (never the password).
Failed sign-ins are rows, not a counter in one process's memory, so every web process counts the same
failures (see ``legalaid.users``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from legalaid.models.base import Base, UTCDateTime, utcnow
from legalaid.models.people import Person


class User(Base):
    """One person's console account: their role in the console and their password's Argon2 hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    role: Mapped[str] = mapped_column(String(8))  # staff < leader < admin
    password_hash: Mapped[str] = mapped_column(String(200))  # Argon2id, in its PHC string form
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()


class SignInFailure(Base):
    """One failed sign-in: the user name typed (as typed, known or not) and the client's address."""

    __tablename__ = "sign_in_failures"
    # Both counts are "failures since T" for one name or one address: each an index range scan.
    __table_args__ = (
        Index("ix_sign_in_failures_username_at", "username", "failed_at"),
        Index("ix_sign_in_failures_client_at", "client", "failed_at"),
        Index("ix_sign_in_failures_at", "failed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
