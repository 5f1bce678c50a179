"""Legal aid cases with every dated step, the recipients' groups, and the progress log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from legalaid.models.base import Base, UTCDateTime, utcnow
from legalaid.models.enums import CaseType, Decision, RecipientGroup, db_enum

# The dated steps of a case, in the order a case goes through them.
CASE_DATE_FIELDS: tuple[str, ...] = (
    "applied_on",
    "limitation_on",
    "decided_on",
    "assigned_on",
    "first_contact_on",
    "last_progress_on",
    "next_hearing_on",
    "ended_on",
    "closure_submitted_on",
    "return_visit_on",
)


def _open(name: str, anchor: str, owed: str) -> Index:
    """A partial index on ``anchor`` of the cases whose anchor is set and whose step ``owed`` is open."""
    where = text(f"{anchor} IS NOT NULL AND {owed}")
    return Index(name, anchor, sqlite_where=where, postgresql_where=where)


class Case(Base):
    __tablename__ = "cases"
    # Each daily reminder rule filters on "step A done, step B not yet": these indexes serve those scans,
    # and applied_on serves the reports' period filter.
    __table_args__ = (
        Index("ix_cases_applied_on", "applied_on"),
        Index("ix_cases_decided_open", "decided_on", "assigned_on"),
        Index("ix_cases_assigned_open", "assigned_on", "ended_on"),
        Index("ix_cases_ended_open", "ended_on", "closure_submitted_on"),
        Index("ix_cases_closure_open", "closure_submitted_on", "return_visit_on"),
        # The return visits still owed, by closure date: the reminders' catch-up asks for every case closed
        # before a day with no return visit, which the index above answers only by reading all closed
        # cases (PostgreSQL then scans the table); this one holds just the cases still waiting.
        _open("ix_cases_return_visit_owed", "closure_submitted_on", "return_visit_on IS NULL"),
        # Likewise the other steps still owed, on the anchor of the rule that waits for them: the overdue
        # counts (``reminders.overdue.overdue_parts``) read the open cases up to a day through these, and
        # none of the finished ones. Each holds only cases whose anchor is set (the range implies it).
        _open("ix_cases_review_owed", "applied_on", "decided_on IS NULL AND assigned_on IS NULL"),
        _open("ix_cases_assignment_owed", "decided_on", "assigned_on IS NULL"),
        _open("ix_cases_assigned_not_ended", "assigned_on", "ended_on IS NULL"),
        _open("ix_cases_progress_not_ended", "last_progress_on", "ended_on IS NULL"),
        _open("ix_cases_closure_owed", "ended_on", "closure_submitted_on IS NULL"),
        # Steps recorded after a day (the rest have their own index as the first column of another): the
        # overdue counts of an earlier day look for the cases that have changed since, usually none.
        Index("ix_cases_first_contact_on", "first_contact_on"),
        Index("ix_cases_return_visit_on", "return_visit_on"),
        Index("ix_cases_next_hearing_on", "next_hearing_on"),
        Index("ix_cases_limitation_on", "limitation_on"),
        Index("ix_cases_lawyer_id", "lawyer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(64), unique=True)
    case_type: Mapped[CaseType] = mapped_column(db_enum(CaseType))
    matter: Mapped[str | None] = mapped_column(String(200))
    applicant: Mapped[str] = mapped_column(String(200))
    # center / arbitration_desk / workstation, or a firm code (firms accept applications).
    intake: Mapped[str | None] = mapped_column(String(32))
    applied_on: Mapped[date] = mapped_column(Date)
    limitation_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision: Mapped[Decision | None] = mapped_column(db_enum(Decision))
    # A denial must state its reasons in writing (Legal Aid Law art. 43); the 不予 letter prints this.
    decision_reason: Mapped[str | None] = mapped_column(Text)
    assigned_on: Mapped[date | None] = mapped_column(Date)
    lawyer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    first_contact_on: Mapped[date | None] = mapped_column(Date)
    last_progress_on: Mapped[date | None] = mapped_column(Date)
    next_hearing_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    closure_submitted_on: Mapped[date | None] = mapped_column(Date)
    return_visit_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    groups: Mapped[list[CaseGroup]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    events: Mapped[list[CaseEvent]] = relationship(cascade="all, delete-orphan", order_by="CaseEvent.id")


class CaseGroup(Base):
    """One recipient group (农民工, 残疾人, …) of a case's applicant; a case may have several."""

    __tablename__ = "case_groups"
    __table_args__ = (Index("ix_case_groups_group", "group_name", "case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    group_name: Mapped[RecipientGroup] = mapped_column(db_enum(RecipientGroup), primary_key=True)


class CaseEvent(Base):
    """The progress log: one row each time a dated step of a case is set or changed."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_id", "case_id", "on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # the step, e.g. "assigned_on", "last_progress_on"
    on: Mapped[date | None] = mapped_column(Date)
    detail: Mapped[str | None] = mapped_column(Text)  # e.g. the new lawyer's code, the previous date
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
