"""The arbitration desk's duty shifts (值班) and people's leave."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from legalaid.models.base import Base, UTCDateTime, utcnow
from legalaid.models.enums import Slot, db_enum
from legalaid.models.people import Person


class DutyShift(Base):
    __tablename__ = "duty_shifts"
    __table_args__ = (
        UniqueConstraint("on", "slot", "person_id", name="uq_duty_shifts_on_slot_person"),
        Index("ix_duty_shifts_person_on", "person_id", "on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    on: Mapped[date] = mapped_column(Date, index=True)
    slot: Mapped[Slot] = mapped_column(db_enum(Slot))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    source: Mapped[str] = mapped_column(String(16), default="import")  # import, generated, swap
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()


class Leave(Base):
    __tablename__ = "leave"
    __table_args__ = (
        UniqueConstraint("person_id", "start", name="uq_leave_person_start"),
        Index("ix_leave_dates", "start", "end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))

    person: Mapped[Person] = relationship()
