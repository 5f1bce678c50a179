"""What happened to the roster: who asked for each change, every shift added or removed, alerts sent.

``roster_requests`` is one row per change someone asked for (a swap, leave, a generation written) with who
asked (``requested_by``: a person code) and why. ``duty_changes`` is one row per shift that request added
to or removed from ``duty_shifts``; the shifts table itself holds only what stands, so every other reader
(the demo summary, the reports, the importer) needs to know nothing of this. The change rows are the
memory of removed duties: a calendar feed keeps a removed duty as ``STATUS:CANCELLED`` (an app that once
imported it then drops it), and the number of changes of a shift is its iCalendar ``SEQUENCE``.

``roster_alerts`` is the ledger of problems the daily check has told the coordinator about: insert-if-absent
on the problem's key, so each problem is mailed once (and once more when a gap becomes urgent).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from legalaid.models.base import Base, UTCDateTime, utcnow
from legalaid.models.enums import Slot, db_enum
from legalaid.models.people import Person

ADDED = "added"
REMOVED = "removed"


class RosterRequest(Base):
    __tablename__ = "roster_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # generate, swap, leave
    requested_by: Mapped[str] = mapped_column(String(100))  # a person code, or who ran the command
    note: Mapped[str | None] = mapped_column(Text)
    leave_id: Mapped[int | None] = mapped_column(ForeignKey("leave.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    changes: Mapped[list[DutyChange]] = relationship(back_populates="request")


class DutyChange(Base):
    __tablename__ = "duty_changes"
    __table_args__ = (
        Index("ix_duty_changes_shift", "on", "slot", "person_id"),
        Index("ix_duty_changes_person_on", "person_id", "on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("roster_requests.id", ondelete="CASCADE"), index=True)
    on: Mapped[date] = mapped_column(Date)
    slot: Mapped[Slot] = mapped_column(db_enum(Slot))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(16))  # added or removed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[RosterRequest] = relationship(back_populates="changes")
    person: Mapped[Person] = relationship()


class RosterAlert(Base):
    __tablename__ = "roster_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    on: Mapped[date | None] = mapped_column(Date)
    slot: Mapped[str | None] = mapped_column(String(8))
    person_code: Mapped[str | None] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(Text)
    as_of: Mapped[date] = mapped_column(Date)  # the business date of the check that found it
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
