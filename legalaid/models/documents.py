"""Every Word document the service generated: what, for which case, where, and its checksum."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
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
