"""Firms (律师事务所, 基层法律服务所) and the people of the center and its firms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from legalaid.models.base import Base, UTCDateTime, utcnow
from legalaid.models.enums import FirmKind, Role, db_enum


class Firm(Base):
    __tablename__ = "firms"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[FirmKind] = mapped_column(db_enum(FirmKind))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(300))
    # A person code, not a foreign key: firms are imported before their people (people name their firm).
    director_code: Mapped[str | None] = mapped_column(String(32))
    accepts_applications: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    people: Mapped[list[Person]] = relationship(back_populates="firm")


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (Index("ix_people_role_active", "role", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    role: Mapped[Role] = mapped_column(db_enum(Role))
    desk_pool: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    firm: Mapped[Firm | None] = relationship(back_populates="people")
