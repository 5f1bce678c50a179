"""Every Word document the service generated (what, for which case, where, its checksum), and the
document numbers (文号) issued, one numbering per kind and year of issue."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from legalaid.models.base import Base, UTCDateTime, utcnow


class GeneratedDocument(Base):
    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_case_kind", "case_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))  # e.g. assignment_notice, grant_decision
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    locale: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DocumentNumberCounter(Base):
    """The last serial given in one register (a document kind) and year of issue.

    The row is what concurrent issuers queue on: each takes it ``FOR UPDATE`` (SQLite: the write
    transaction is the only writer) before it looks up or hands out a number, so two workers never give
    the same serial and one document is never numbered twice.
    """

    __tablename__ = "document_number_counters"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)


class DocumentNumber(Base):
    """A document number (文号) as issued: kind, year of issue, serial, the case and the document it numbers.

    ``edition`` tells documents of one kind for one case apart (the notice to one lawyer, then after a
    re-assignment to another): a re-render of the same edition in the same year keeps its number.
    ``number`` is the text as printed, so a later change of the format setting does not renumber it.
    """

    __tablename__ = "document_numbers"
    __table_args__ = (
        UniqueConstraint("kind", "year", "serial", name="uq_document_numbers_serial"),
        Index("ix_document_numbers_case_kind", "case_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    # A deleted case leaves its numbers taken: a number once issued is never issued again.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    edition: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
